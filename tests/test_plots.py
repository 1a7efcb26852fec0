"""Pictures of samples: frame strips and animated GIFs of clips."""

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
