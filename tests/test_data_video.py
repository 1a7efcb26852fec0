"""Video data: moving digits, video folders (GIF, frame folders), the kind "video"."""

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.data import DataConfig, build_dataset
from swgen.data.moving_digits import bounce, make_moving_digits
from swgen.errors import UserError


def test_bounce_reflects_off_both_ends():
    positions = bounce(1.0, 2.0, 8, 5.0)
    assert positions.tolist() == [1, 3, 5, 3, 1, 1, 3, 5]
    assert np.all((positions >= 0) & (positions <= 5))


def test_moving_digits_are_deterministic_clips_of_moving_digits():
    data = build_dataset(DataConfig(name="moving-digits", limit=32, frames=8, image_size=16))
    assert data.info.kind == "video" and data.info.shape == (1, 8, 16, 16)
    assert data.info.frames == 8 and data.info.image_size == 16 and data.info.channels == 1
    again = build_dataset(DataConfig(name="moving-digits", limit=32, frames=8, image_size=16))
    assert torch.equal(data.images, again.images)  # the same dataset on every run
    batch = data.batch(0, 4, seed=0).x
    assert batch.shape == (4, 1, 8, 16, 16) and -1 <= batch.min() and batch.max() <= 1
    assert torch.equal(batch, data.batch(0, 4, seed=0).x)
    labels = data.labels
    assert set(labels[:, 0].tolist()) <= {1, 2} and (labels[:, 1] >= 0).all()
    assert ((labels[:, 3] >= 0) == (labels[:, 0] == 2)).all()  # second digit only when present
    # the digits move: consecutive frames differ, and no frame is empty
    clips = data.images.float()
    assert (clips[:, :, 1:] - clips[:, :, :-1]).abs().sum(dim=(1, 3, 4)).gt(0).float().mean() > 0.9
    assert clips.amax(dim=(1, 3, 4)).min() > 100


def test_moving_digits_direction_labels_match_the_motion():
    clips, labels = make_moving_digits(64, 3, 32)
    single = labels[:, 0] == 1
    for clip, label in zip(clips[single], labels[single], strict=True):
        mass = clip[0].float()
        ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
        centre = [((m * xs).sum() / m.sum(), (m * ys).sum() / m.sum()) for m in mass[:2]]
        dx, dy = centre[1][0] - centre[0][0], centre[1][1] - centre[0][1]
        direction = int(label[2])
        expected_x, expected_y = (1 if direction in (0, 2) else -1), (1 if direction < 2 else -1)
        # the first step may hit a wall; it moved along its direction on at least one axis
        assert dx * expected_x > 0 or dy * expected_y > 0


def write_gif(path, frames, size=20):
    pictures = [Image.fromarray(np.full((size, size + 4), 10 * i, np.uint8)) for i in range(frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=50, loop=0)


def test_video_folder_reads_gifs_and_frame_folders_cut_into_clips(tmp_path):
    write_gif(tmp_path / "a.gif", 9)
    frames = tmp_path / "b"
    frames.mkdir()
    for i in range(1, 11):  # natural order: 2 before 10
        Image.fromarray(np.full((12, 12, 3), 20 * i, np.uint8)).save(frames / f"f{i}.png")
    (tmp_path / "notes.txt").write_text("not a video")
    config = DataConfig(name="video-folder", path=str(tmp_path), frames=4, image_size=8, channels=1)
    data = build_dataset(config)
    assert data.info.kind == "video" and data.info.shape == (1, 4, 8, 8)
    assert len(data) == 2 + 2  # 9 frames -> 2 clips, 10 frames -> 2 clips
    firsts = data.images[:, 0, :, 0, 0].tolist()
    assert firsts[0] == [0, 10, 20, 30] and firsts[2] == [20, 40, 60, 80]
    strided = build_dataset(DataConfig(name="video-folder", path=str(tmp_path), frames=4,
                                       image_size=8, frame_stride=2))  # fmt: skip
    assert len(strided) == 2 and strided.info.channels == 3
    assert strided.images[1, 0, :, 0, 0].tolist() == [20, 60, 100, 140]


def test_video_folder_errors_are_for_people(tmp_path):
    (tmp_path / "broken.gif").write_bytes(b"GIF89a not really")
    with pytest.raises(UserError, match="no readable clip"):
        build_dataset(DataConfig(name="video-folder", path=str(tmp_path)))
    write_gif(tmp_path / "short.gif", 5)
    with pytest.raises(UserError, match="shorter than data.frames=16"):
        build_dataset(DataConfig(name="video-folder", path=str(tmp_path), frames=16))
    with pytest.raises(UserError, match="needs data.path"):
        build_dataset(DataConfig(name="video-folder"))


def write_frames(folder, sides):
    folder.mkdir(parents=True)
    for index, side in enumerate(sides):
        Image.fromarray(np.full((side, 8), 30 * index, np.uint8)).save(folder / f"{index}.png")


def test_video_folder_names_the_frame_that_skips_a_video(tmp_path, monkeypatch):
    """One unreadable frame skips its video (a clip must not jump over it), and the warning
    names that frame; so does a frame above Pillow's limit against decompression bombs."""
    write_frames(tmp_path / "good", (8, 8, 8, 8))
    write_frames(tmp_path / "broken", (8, 8, 8, 8))
    (tmp_path / "broken" / "2.png").write_bytes(b"not a png")
    config = DataConfig(name="video-folder", path=str(tmp_path), frames=2, image_size=8)
    with pytest.warns(UserWarning, match=r"skipped 1 entries: 'broken': frame '2.png' is unread"):
        data = build_dataset(config)
    assert len(data) == 2  # the good video's two clips
    write_frames(tmp_path / "huge", (8, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 8 x 40 > 200: refused by Pillow
    (tmp_path / "good" / "0.png").unlink()  # 3 frames of 64 px: read without a warning
    with pytest.warns(UserWarning) as caught:
        build_dataset(config)
    said = " | ".join(str(warning.message) for warning in caught)
    assert "'huge': frame '1.png': 8 x 40 pixels, above Pillow's limit" in said, said


def test_video_folder_refuses_frames_of_different_sizes(tmp_path):
    write_frames(tmp_path / "walk", (8, 8, 10, 8))
    config = DataConfig(name="video-folder", path=str(tmp_path), frames=2, image_size=8)
    with pytest.raises(UserError, match=r"video '.*walk' has frames of different sizes \(8 x 8 "):
        build_dataset(config)


def test_video_folder_reads_movies_through_the_optional_extra(tmp_path):
    iio = pytest.importorskip("imageio.v3")
    pytest.importorskip("av")
    frames = np.stack([np.full((16, 16, 3), 40 * i, np.uint8) for i in range(6)])
    iio.imwrite(tmp_path / "a.avi", frames, plugin="pyav", codec="mpeg4", fps=10)
    data = build_dataset(DataConfig(name="video-folder", path=str(tmp_path), frames=3,
                                    image_size=8, channels=1))  # fmt: skip
    assert data.info.shape == (1, 3, 8, 8) and len(data) == 2
    levels = data.images[:, 0, :, 4, 4].flatten().float()
    assert torch.all(levels[1:] > levels[:-1])  # frame order kept (lossy codec: not exact)
