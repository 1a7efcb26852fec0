// swgen study page. The server decides every trial and keeps every answer; this script only
// shows the trial it is given, times the answer and sends it back with the trial's nonce.
"use strict";

const base = location.pathname.replace(/\/+$/, ""); // /p/TOKEN
const state = { trial: null, shownAt: 0, ready: false, busy: false, seen: new Set() };
const $ = (id) => document.getElementById(id);

async function api(path, options) {
  const response = await fetch(`${base}/api/${path}`, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status}: ${body.error || response.statusText}`);
  return body;
}

function show(screen) {
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== screen;
}

function problem(error) {
  $("problem-text").textContent = `Something went wrong (${error.message}).`;
  show("problem");
}

function setKind(kind, exposure) {
  const preference = kind === "preference";
  $("title").textContent = preference ? "Which looks more real?" : "Real or fake?";
  $("intro-real-or-fake").hidden = preference;
  $("intro-preference").hidden = !preference;
  $("intro-timed").hidden = !exposure;
  for (const choice of ["real", "fake"]) $(`answer-${choice}`).hidden = preference;
  for (const choice of ["left", "right"]) $(`answer-${choice}`).hidden = !preference;
  $("question").textContent = preference ? "Which image looks more real?" : "Is this image real or fake?";
}

async function load() {
  try {
    const data = await api("trial");
    if (data.done) {
      $("progress").textContent = "";
      $("code").textContent = data.code;
      show("done");
      return;
    }
    const trial = data.trial;
    setKind(data.kind, trial.exposure_ms);
    if (data.answered === 0 && !state.seen.has("intro")) {
      state.seen.add("intro");
      state.trial = trial;
      show("intro");
      return;
    }
    if (trial.first_scored && !state.seen.has("interlude")) {
      state.seen.add("interlude");
      state.trial = trial;
      $("interlude-count").textContent = trial.of;
      show("interlude");
      return;
    }
    await present(trial);
  } catch (error) {
    problem(error);
  }
}

function loadImage(url) {
  const image = new Image();
  image.src = url;
  image.alt = "stimulus";
  return image.decode().then(() => image);
}

function mask(image) {
  // Noise of the image's size covers it when its exposure ends (HYPE-time).
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < pixels.data.length; i += 4) {
    const grey = Math.floor(Math.random() * 256);
    pixels.data.set([grey, grey, grey, 255], i);
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function present(trial) {
  state.trial = trial;
  state.ready = false;
  const phase = trial.phase === "tutorial" ? "Tutorial" : "Trial";
  $("progress").textContent = `${phase} ${trial.number} of ${trial.of}`;
  const stimuli = $("stimuli");
  stimuli.replaceChildren();
  stimuli.classList.toggle("pixelated", trial.pixelated);
  document.documentElement.style.setProperty("--stimulus-height", `${trial.display_px}px`);
  setAnswersEnabled(false);
  const images = await Promise.all(trial.stimuli.map(loadImage));
  if (images.length === 2) {
    images.forEach((image, side) => {
      image.classList.add("choosable");
      image.id = side === 0 ? "stimulus-left" : "stimulus-right";
      image.addEventListener("click", () => answer(side === 0 ? "left" : "right"));
    });
  } else {
    images[0].id = "stimulus";
  }
  show("trial");
  if (trial.exposure_ms) {
    $("fixation").hidden = false;
    await sleep(trial.fixation_ms);
    $("fixation").hidden = true;
  }
  stimuli.replaceChildren(...images);
  state.shownAt = performance.now();
  state.ready = true;
  setAnswersEnabled(true);
  if (trial.exposure_ms) {
    await sleep(trial.exposure_ms);
    if (state.trial === trial) stimuli.replaceChildren(...images.map(mask));
  }
}

function setAnswersEnabled(enabled) {
  for (const button of document.querySelectorAll("#answers button")) button.disabled = !enabled;
}

async function answer(choice) {
  const trial = state.trial;
  if (!trial || !state.ready || state.busy) return;
  state.busy = true;
  state.ready = false;
  setAnswersEnabled(false);
  const reaction = performance.now() - state.shownAt;
  try {
    const result = await api("answer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ trial: trial.id, nonce: trial.nonce, choice, reaction_ms: reaction }),
    });
    state.trial = null;
    if (result.feedback) {
      showFeedback(result);
    } else {
      await load();
    }
  } catch (error) {
    problem(error);
  } finally {
    state.busy = false;
  }
}

function showFeedback(result) {
  const text = $("feedback-text");
  let truth;
  if (result.truth === "real" || result.truth === "fake") {
    truth = `this image was ${result.truth}.`;
  } else {
    truth = `the ${result.truth} image was the real one (the other was noise).`;
  }
  text.textContent = result.correct ? `Right: ${truth}` : `Not quite: ${truth}`;
  text.className = result.correct ? "right" : "wrong";
  show("feedback");
}

function onKey(event) {
  if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
  const visible = [...document.querySelectorAll(".screen")].find((s) => !s.hidden);
  if (!visible) return;
  if (event.key === "Enter") {
    const button = visible.querySelector("button.primary");
    if (button) button.click();
    return;
  }
  if (visible.id !== "trial") return;
  const keys = { r: "real", f: "fake", ArrowLeft: "left", ArrowRight: "right" };
  const choice = keys[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  const button = choice && $(`answer-${choice}`);
  if (button && !button.hidden) answer(choice);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#answers button")) {
    button.addEventListener("click", () => answer(button.dataset.choice));
  }
  $("start").addEventListener("click", () => present(state.trial).catch(problem));
  $("begin").addEventListener("click", () => present(state.trial).catch(problem));
  $("next").addEventListener("click", load);
  document.addEventListener("keydown", onKey);
  load();
});
