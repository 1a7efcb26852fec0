"""Pictures of samples: frame strips and animated GIFs of clips."""

import numpy as np
import torch
from PIL import Image, ImageSequence

from swgen.plots import frame_strips, save_gif


def test_save_gif_writes_one_grid_per_frame(tmp_path):
    clips = torch.zeros(4, 1, 3, 8, 8)
    for t in range(3):
        clips[:, :, t] = t / 2  # frame t is uniformly t/2
    path = tmp_path / "clips.gif"
    save_gif(clips, path)
    with Image.open(path) as gif:
        frames = [frame.convert("L") for frame in ImageSequence.Iterator(gif)]
    assert len(frames) == 3 and frames[0].size == (2 + 2 * 10, 2 + 2 * 10)  # 2 x 2 grid
    for t, frame in enumerate(frames):
        assert frame.getpixel((5, 5)) == round(255 * t / 2)  # inside the first clip
        assert frame.getpixel((0, 0)) == 255  # the white padding


def test_frame_strips_put_a_clip_per_row_and_a_frame_per_column():
    clips = torch.rand(2, 3, 5, 4, 4)
    picture = frame_strips(clips)
    assert picture.size == (2 + 5 * 6, 2 + 2 * 6) and picture.mode == "RGB"
    assert frame_strips(clips, max_frames=3).size == (2 + 3 * 6, 2 + 2 * 6)


def test_panel_grid_puts_each_sample_s_panels_side_by_side():
    from swgen.plots import panel_grid

    inputs = torch.zeros(5, 3, 4, 4)
    outputs = torch.ones(5, 3, 4, 4)
    attention = torch.full((5, 1, 4, 4), 0.5)  # one channel, shown in grey
    picture = np.asarray(panel_grid([inputs, outputs, attention], padding=1))
    # ceil(sqrt(5 / 3)) = 2 groups of 3 panels per row, 3 rows: 6 x 3 tiles of 4 px + padding.
    assert picture.shape == (3 * 5 + 1, 6 * 5 + 1, 3)
    first_row = picture[1:5]
    assert (first_row[:, 1:5] == 0).all() and (first_row[:, 6:10] == 255).all()
    assert (first_row[:, 11:15] == 128).all() and (first_row[:, 16:20] == 0).all()


def test_panel_grid_shows_clips_as_rows_of_frames():
    from swgen.plots import panel_grid

    clips = torch.rand(2, 3, 4, 8, 6)  # (n, C, T, H, W)
    picture = panel_grid([clips, clips], padding=0)
    assert picture.size == (2 * 4 * 6, 2 * 8)  # a row per clip: 2 panels of 4 frames of 6 px
