"""Sample pictures drawn with Pillow."""

import numpy as np
import torch

from swgen.plots import image_grid, scatter_plot


def test_image_grid_places_each_image_in_its_cell():
    images = torch.zeros(4, 3, 5, 5)
    images[3] = 1.0  # the last image is white
    grid = np.asarray(image_grid(images, columns=2, padding=1))
    assert grid.shape == (2 * 6 + 1, 2 * 6 + 1, 3)
    assert (grid[1:6, 1:6] == 0).all()  # first cell black
    assert (grid[7:12, 7:12] == 255).all()  # last cell white


def test_grayscale_grid_is_two_dimensional():
    grid = np.asarray(image_grid(torch.full((3, 1, 4, 4), 0.5)))
    assert grid.ndim == 2 and grid[2, 2] == 128 and grid[0, 0] == 255


def test_scatter_plot_draws_points_where_they_are():
    picture = np.asarray(scatter_plot(torch.tensor([[1.0, 1.0]]), limit=2.0, size=100))
    # the point (1, 1) is drawn at pixel (75, 25) in orange
    assert tuple(picture[25, 75]) == (255, 127, 14)
    assert tuple(picture[75, 25]) == (255, 255, 255)
