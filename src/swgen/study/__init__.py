"""Human studies of trained runs in the browser: "Real or Fake?" (HYPE) and preference.

``create`` draws a study's stimuli into one SQLite file (``db``), ``server`` serves the page a
participant takes it on (the rules of a study are in ``protocol``), and ``report`` turns the
answers into error rates and preference shares with bootstrap intervals. See docs/study.md.
"""
