"""The signals lesson's tools (lessons/plot_signals.py): test signals, a band-limited polyphase resampler in plain
PyTorch, levels read off a spectrum, and the lesson's figure.

Every signal is one second long at a whole number of samples per second, so a tone of a whole number of hertz
falls exactly on a bin of the spectrum (the bins are 1 Hz apart) and its level can be read off that one bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def tones(rate: int, *freqs: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One second at ``rate`` samples per second of a cosine of amplitude 1 at each of ``freqs`` Hz, summed."""
    t = torch.arange(rate, dtype=dtype) / rate
    return sum(torch.cos(2 * math.pi * f * t) for f in freqs)


def chirp(rate: int, start: float, end: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One second at ``rate`` of a cosine whose frequency rises linearly from ``start`` to ``end`` Hz."""
    t = torch.arange(rate, dtype=dtype) / rate
    return torch.cos(2 * math.pi * (start * t + (end - start) / 2 * t**2))


def lowpass_taps(max_rate: int, zeros: int = 10, beta: float = 5.0) -> torch.Tensor:
    """A Kaiser-windowed sinc for resampling by ``up/down`` with ``max_rate = max(up, down)``.

    At the rate ``up`` times the input's, it cuts at ``1/max_rate`` of that rate's Nyquist frequency: the lower
    of the two signals' Nyquist frequencies. It reaches ``zeros`` zero crossings of the sinc on each side, so it
    has ``2·zeros·max_rate + 1`` taps, and its taps sum to 1 (a gain of 1 at 0 Hz).
    """
    half = zeros * max_rate
    n = torch.arange(-half, half + 1, dtype=torch.float64)
    window = torch.kaiser_window(2 * half + 1, periodic=False, beta=beta, dtype=torch.float64)
    taps = torch.sinc(n / max_rate) * window
    return taps / taps.sum()


def resample(x: torch.Tensor, up: int, down: int, zeros: int = 10, beta: float = 5.0) -> torch.Tensor:
    """Resample the last axis of ``x`` by ``up/down`` with a band-limited filter: ``ceil(n·up/down)`` samples.

    In principle: insert ``up − 1`` zeros after each sample, low-pass filter (``lowpass_taps``, with the gain
    ``up`` that restores the mean), keep every ``down``-th sample. Output ``m`` then sits at input time
    ``m·down/up`` and is ``Σₙ x[n]·h(m·down − n·up)``, with ``h`` centred on 0 and zeros outside the signal. Only
    one tap in ``up`` ever meets a sample that is not an inserted zero, so each output reads ``⌈len(h)/up⌉``
    input samples through one of ``up`` sub-filters (the polyphase form), and nothing is computed for the zeros.
    Differentiable, and batched over every leading axis.
    """
    if up < 1 or down < 1:
        raise ValueError(f"up and down must be positive whole numbers, got up={up}, down={down}")
    common = math.gcd(up, down)
    up, down = up // common, down // common
    if up == down == 1:
        return x.clone()
    max_rate = max(up, down)
    taps = lowpass_taps(max_rate, zeros, beta).to(x.dtype) * up
    half = zeros * max_rate
    reach = -(-len(taps) // up)  # input samples per output
    n_in = x.shape[-1]
    n_out = -(-n_in * up // down)
    # Output m reads h at m·down + half − n·up: with t = m·down + half, sample n = t // up − k meets the tap
    # t % up + k·up. The sub-filter for phase p holds the taps p, p + up, p + 2·up, ...
    bank = F.pad(taps, (0, reach * up - len(taps))).reshape(reach, up).T  # (up, reach): bank[p, k]
    t = torch.arange(n_out) * down + half
    newest, phase = t // up, t % up  # the newest input sample each output reads, and its sub-filter
    # windows[i] holds x[i − reach + 1 .. i]; the signal is zero before its start and after its end
    right = max(0, int(newest.max()) + 1 - n_in)
    windows = F.pad(x, (reach - 1, right)).unfold(-1, reach, 1)
    return (windows[..., newest, :] * bank.flip(-1)[phase]).sum(-1)


def level_db(signal: torch.Tensor, freq: int) -> float:
    """The level in dB of the component at ``freq`` Hz of a one-second ``signal``, with a Hann window: a cosine
    of amplitude 1 reads 0 dB. (Whole hertz fall on a bin; the window keeps the signal's two ends out.)"""
    return spectrum_db(signal)[freq].item()


def spectrum_db(signal: torch.Tensor) -> torch.Tensor:
    """The whole Hann-windowed spectrum of a one-second ``signal`` in dB, a cosine of amplitude 1 at 0 dB, one
    value per hertz from 0 to the Nyquist frequency; -200 dB where it is nothing."""
    n = signal.shape[-1]
    window = torch.hann_window(n, periodic=True, dtype=torch.float64)
    magnitude = torch.fft.rfft(signal.double() * window).abs() / (window.sum() / 2)
    return 20 * torch.log10(magnitude.clamp(min=1e-10))


def loudest_elsewhere(spectrum: torch.Tensor, freqs: Sequence[int], width: int = 2) -> float:
    """The highest level of ``spectrum`` (dB per hertz) more than ``width`` Hz from every one of ``freqs``: with the
    Hann window, a tone on a bin also shows in the bin on each side, and nowhere else."""
    away = torch.ones(len(spectrum), dtype=torch.bool)
    for freq in freqs:
        away[max(0, freq - width) : freq + width + 1] = False
    return spectrum[away].max().item()


def interpolate_1d(signal: torch.Tensor, size: int, mode: str, **options) -> torch.Tensor:
    """``F.interpolate`` on a 1D signal (length,), which wants (batch, channels, length)."""
    return F.interpolate(signal[None, None], size=size, mode=mode, **options)[0, 0]


def antialiased_linear(signal: torch.Tensor, size: int) -> torch.Tensor:
    """``linear`` with ``antialias=True``, which torch offers only in 2D: the signal as an image one pixel high."""
    image = signal[None, None, None]  # (1, 1, 1, length)
    return F.interpolate(image, size=(1, size), mode="bilinear", antialias=True)[0, 0, 0]


def plot_spectra(rows: dict[str, Sequence[torch.Tensor]], titles: Sequence[str],
                 marks: Sequence[dict[str, int]]) -> Figure:
    """One row per method, one column per experiment: each spectrum in dB, the frequencies in ``marks`` labelled
    (a dict per column: label → Hz)."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(rows), len(titles), figsize=(7.5, 1.45 * len(rows) + 0.6), squeeze=False,
                                sharey=True, gridspec_kw={"hspace": 0.5, "wspace": 0.08})
    for r, (name, spectra) in enumerate(rows.items()):
        for c, spectrum in enumerate(spectra):
            ax = axes[r, c]
            hz = np.arange(len(spectrum)) / 1000
            ax.plot(hz, spectrum.numpy(), lw=0.8, color="tab:blue")
            ax.set_ylim(-110, 8)
            ax.set_xlim(0, hz[-1])
            ax.set_yticks([-100, -50, 0])
            ax.tick_params(labelsize=7)
            ax.set_title(f"{name}: {titles[c]}" if r == 0 else name, fontsize=8, loc="left")
            for label, freq in marks[c].items():
                level = spectrum[freq].item()
                if level > -105:
                    ax.annotate(f"{label} {round(level)} dB", (freq / 1000, level), xytext=(3, 4),
                                textcoords="offset points", fontsize=7,
                                color="tab:red" if label != "tone" else "black")
            if r == len(rows) - 1:
                ax.set_xlabel("kHz", fontsize=7)
        axes[r, 0].set_ylabel("dB", fontsize=7)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.08)
    return figure
