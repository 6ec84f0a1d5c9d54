"""
Upsampling a signal: ``F.interpolate`` is not a resampler
==========================================================

``nn.Upsample`` and ``F.interpolate`` take signals with one axis of time,
``(N, C, L)``, and so they get used to change the sample rate of audio and
other signals. For a signal the first thing to look at is its spectrum: a
resampler must keep what lies below the lower of the two Nyquist
frequencies and add nothing else. The ranks lesson (``plot_ranks.py``)
shows where ``F.interpolate`` puts the new samples in time; this page
measures what it does to the spectrum, builds a band-limited resampler in
plain PyTorch, and finds where plain ``linear`` is the right tool after all.

Every test signal is made here and lasts one second at a whole number of
samples per second, so its spectrum has a bin every hertz, and a tone of a
whole number of hertz has its level read off one bin (``level_db``, with a
Hann window; a cosine of amplitude 1 reads 0 dB).
"""

# %%
# A tone, doubled
# ---------------
# A 3 kHz tone sampled at 8 kHz, taken to 16 kHz. The new rate can hold up
# to 8 kHz, but the signal holds only the one tone, so everything else that
# appears is an error. Any 2× upsampler can be written as zero insertion
# followed by a filter; zero insertion leaves a mirror image of the tone at
# 8 − 3 = 5 kHz, and the filter after it decides how much of that image
# survives. The table gives the tone's level, where 0 dB is unchanged, and
# the image's level against the tone. ``area`` doubles by copying, as
# ``nearest`` does, and gives the same signal.
import torch

from upsample_helpers.signals import interpolate_1d, level_db, resample, tones

tone = tones(8000, 3000)  # one second at 8 kHz: 8000 samples
doubled = {mode: interpolate_1d(tone, 16000, mode)
           for mode in ("nearest", "linear", "area")}
doubled["band-limited"] = resample(tone, 2, 1)  # built below
image, kept = {}, {}
print(f"{'8 → 16 kHz':<13} {'3 kHz tone':>11} {'5 kHz image':>12}")
for name, signal in doubled.items():
    kept[name] = level_db(signal, 3000)
    image[name] = level_db(signal, 5000) - kept[name]
    print(f"{name:<13} {kept[name]:8.2f} dB {image[name]:9.2f} dB")
assert torch.equal(doubled["area"], doubled["nearest"])
assert image["band-limited"] < -55 < image["linear"] < image["nearest"]

# %%
# Why those numbers? Doubling with ``nearest`` is zero insertion followed by
# the taps (1, 1), and ``linear`` with the default ``align_corners=False``
# is zero insertion followed by (¼, ¾, ¾, ¼), which is (1, 1) applied three
# times, scaled (the alias-free lesson, ``plot_alias_free.py``, reads these
# taps off 2D ``bilinear``, which is ``linear`` along each axis). The taps
# (1, 1) respond ``2|cos(πf)|`` at ``f`` cycles per new sample and zero
# insertion halves every level, so ``nearest`` scales a component by
# ``|cos(πf)|`` and ``linear`` by ``|cos(πf)|³``. The tone sits at ``f =
# 3/16``, its image at ``5/16``; the formulas give the table's levels to
# 0.01 dB:
import math


def cos_db(f: float, power: int) -> float:
    return 20 * power * math.log10(abs(math.cos(math.pi * f)))


for name, power in (("nearest", 1), ("linear", 3)):
    tone_db = cos_db(3 / 16, power)
    image_db = cos_db(5 / 16, power) - tone_db
    print(f"{name:<8} formula: tone {tone_db:.2f} dB, image {image_db:.2f} dB")
    assert abs(tone_db - kept[name]) < 0.01
    assert abs(image_db - image[name]) < 0.01

# %%
# So ``linear`` is the better filter of the two, and still leaves an image
# only 10.5 dB below the tone. Both also take the tone itself down (1.6 and
# 4.8 dB), a droop that by the same formulas grows towards the old Nyquist
# frequency.
#
# A band-limited resampler
# ------------------------
# The cure is a proper low-pass filter between the zero insertion and the
# output: a sinc cut at the lower of the two Nyquist frequencies, made
# finite by a Kaiser window. ``resample(x, up, down)`` resamples by
# ``up/down``. It would insert ``up − 1`` zeros, filter and keep every
# ``down``-th sample, but only one tap in ``up`` ever meets a real sample, so
# it computes each output from ``⌈len(h)/up⌉`` input samples through one of
# ``up``
# sub-filters (the polyphase form) and skips the zeros. It is written from
# that description with ``unfold``; its filter has SciPy's default design
# (10 zero crossings a side, Kaiser β = 5), and it gives what
# ``scipy.signal.resample_poly`` gives, batched and differentiable:
import scipy.signal

generator = torch.Generator().manual_seed(0)
noise = torch.randn(2, 1000, dtype=torch.float64, generator=generator)
for up, down in ((2, 1), (1, 2), (160, 147)):
    ours = resample(noise, up, down)
    theirs = scipy.signal.resample_poly(noise.numpy(), up, down, axis=-1)
    gap = (ours - torch.from_numpy(theirs)).abs().max().item()
    print(f"{up}/{down}: 2 × {ours.shape[-1]} samples, SciPy's to {gap:.0e}")
    assert gap < 1e-12
leaf = noise.clone().requires_grad_()
resample(leaf, 160, 147).sum().backward()  # a gradient reaches every input
print("gradient:", tuple(leaf.grad.shape), "nonzero:", bool(leaf.grad.all()))

# %%
# Shrinking: aliasing
# -------------------
# Halving the rate is harder. A signal at 16 kHz with tones at 1 and 6 kHz,
# taken to 8 kHz: the new Nyquist frequency is 4 kHz, so the 6 kHz tone has
# no place there, and whatever of it is not filtered away folds back to
# 8 − 6 = 2 kHz, a tone that was never in the signal. torch has
# ``antialias=True`` only for 2D images, and says so:
import textwrap

from upsample_helpers.modes import raised

message = raised(interpolate_1d, tones(16000, 1000), 8000, "linear",
                 antialias=True)
print(textwrap.fill(message, 80))
assert "Anti-alias option is restricted to bilinear" in message

# %%
# A 1D signal can still borrow it: as an image one pixel high, shrunk by
# ``bilinear`` with ``antialias=True`` along its width
# (``antialiased_linear``). The table gives the 1 kHz tone's level and the
# alias's, both against the 0 dB tones that went in. ``nearest`` keeps
# every other sample and lets the whole 6 kHz tone through as the alias.
# ``linear`` at exactly 2× averages each pair, which is what ``area`` does.
from functools import partial

from upsample_helpers.signals import antialiased_linear

halve = {mode: partial(interpolate_1d, size=8000, mode=mode)
         for mode in ("nearest", "linear", "area")}
halve["linear, antialias"] = partial(antialiased_linear, size=8000)
halve["band-limited"] = partial(resample, up=1, down=2)
both = tones(16000, 1000, 6000)
halved = {name: halve_it(both) for name, halve_it in halve.items()}
tone_kept = {name: level_db(signal, 1000) for name, signal in halved.items()}
alias = {name: level_db(signal, 2000) for name, signal in halved.items()}
print(f"{'16 → 8 kHz':<18} {'1 kHz tone':>10} {'2 kHz alias':>12}")
for name in halved:
    print(f"{name:<18} {tone_kept[name]:7.2f} dB {alias[name]:9.2f} dB")
torch.testing.assert_close(halved["linear"], halved["area"])
assert abs(alias["nearest"]) < 0.01 and alias["band-limited"] < -60
assert alias["band-limited"] < alias["linear, antialias"] < alias["linear"]
assert max(abs(tone_kept["band-limited"]), abs(tone_kept["nearest"])) < 0.01
assert round(tone_kept["linear"], 2) == -0.17
assert round(tone_kept["linear, antialias"], 1) == -0.5

# %%
# Borrowing the 2D antialias helps, 25 dB below the tone instead of 8, but
# only the band-limited filter takes the alias below 60 dB. It also keeps
# the 1 kHz tone within 0.01 dB, as ``nearest`` does, where ``linear`` and
# ``area`` lose 0.17 dB of it and the borrowed antialias 0.5 dB.
#
# A chirp shows the whole band at once. Its frequency rises steadily from 0
# to 8 kHz over the second, so time stands for frequency: halved to 8 kHz,
# its last 0.4 s (4.8 to 8 kHz, all above the new Nyquist frequency) should
# fall silent, while its first 0.4 s (up to 3.2 kHz) should pass. The table
# gives the RMS of the last 0.4 s against the first: ``nearest`` keeps it as
# loud as the part that belongs, mirrored below 4 kHz.
from upsample_helpers.signals import chirp

sweep = chirp(16000, 0, 8000)  # 0 Hz at the start, 8 kHz at the end
late = {}
for name in ("nearest", "linear", "linear, antialias", "band-limited"):
    out = halve[name](sweep)
    first, last = out[:3200], out[4800:]  # 0 to 0.4 s, and 0.6 to 1 s
    late[name] = 10 * math.log10(last.square().mean() / first.square().mean())
    print(f"{name:<18} last 0.4 s against the first: {late[name]:6.1f} dB")
assert abs(late["nearest"]) < 0.01 and late["band-limited"] < -50
assert late["band-limited"] < late["linear, antialias"] < late["linear"]

# %%
# 44.1 → 48 kHz
# -------------
# Between the two common audio rates, ``up/down`` is 160/147. A 15 kHz tone
# at 44.1 kHz has its first mirror image at 44.1 − 15 = 29.1 kHz, above the
# new Nyquist frequency of 24 kHz, so whatever of that image a resampler
# lets through folds to 48 − 29.1 = 18.9 kHz. ``F.interpolate`` given the
# new length and ``linear`` leaves it there, 11.5 dB below the tone (and
# ``nearest`` only 5.7 dB below); the band-limited
# resampler takes it below 60 dB. The ``julius`` package, a PyTorch
# resampler for audio, with its own filter (a sinc at 0.945 of the lower
# Nyquist frequency), takes it further still. (torchaudio has one too,
# ``torchaudio.functional.resample``, documented as band-limited
# interpolation with a Hann- or Kaiser-windowed sinc; this project does not
# depend on it, and this page does not run it.)
import julius

tone = tones(44100, 15000)
to_48k = {mode: interpolate_1d(tone, 48000, mode)
          for mode in ("nearest", "linear")}
to_48k["band-limited"] = resample(tone, 160, 147)
to_48k["julius"] = julius.resample_frac(tone, 44100, 48000)
print("julius's rolloff:", julius.ResampleFrac(44100, 48000).rolloff)
spur = {}
for name, signal in to_48k.items():
    spur[name] = level_db(signal, 18900) - level_db(signal, 15000)
    print(f"{name:<13} {len(signal)} samples, 18.9 kHz: {spur[name]:7.1f} dB")
assert round(spur["linear"], 1) == -11.5 and spur["band-limited"] < -60
assert round(spur["nearest"], 1) == -5.7
assert spur["julius"] < spur["band-limited"]

# %%
# Both band-limited resamplers give back the tone itself: a 1 kHz tone
# resampled to 48 kHz is, away from the two ends, within 0.001 of the same
# tone computed at 48 kHz.

slow = tones(44100, 1000)
ideal = tones(48000, 1000)
for name, signal in (("band-limited", resample(slow, 160, 147)),
                     ("julius", julius.resample_frac(slow, 44100, 48000))):
    error = (signal - ideal)[2000:-2000].abs().max().item()
    print(f"{name:<13} off the ideal tone by at most {error:.1e}")
    assert error < 1e-3

# %%
# Where the new samples fall
# --------------------------
# ``resample``'s output ``m`` sits at input time ``m·down/up``: the first
# output sits where the first input sample does, as in SciPy.
# ``F.interpolate``'s ``linear`` puts output ``j`` at ``(j + ½)·in/out − ½``
# (the ranks lesson's formula, ``sample_positions``): doubled, a quarter of
# an input sample earlier. A slow tone shows it. Doubled by ``linear``, it
# matches the tone read at the ranks lesson's positions more than 50 times
# closer than at ``j/2``:
from upsample_helpers.ranks import sample_positions

slow = tones(1000, 5)  # a sensor read 1000 times a second, moving at 5 Hz
linear = interpolate_1d(slow, 2000, "linear")
off = {}
for name, at in (("j/2", torch.arange(2000) / 2),
                 ("(j + ½)/2 − ½", sample_positions(1000, 2000, False))):
    at_tone = torch.cos(2 * math.pi * 5 * at.double() / 1000)
    off[name] = (linear - at_tone)[10:-10].abs().max().item()
    print(f"linear against the tone at {name:<14} off by {off[name]:.1e}")
assert off["(j + ½)/2 − ½"] < 1e-4 and off["j/2"] > 50 * off["(j + ½)/2 − ½"]

# %%
# When ``linear`` is right
# ------------------------
# That slow tone is also where ``linear`` is the better tool. At 5 Hz in a
# signal sampled at 1 kHz, its image lands more than 120 dB down, and
# inside the signal it stays within 1e-4 of the tone. The band-limited
# resampler is further off inside. Its two sub-filters, one for the outputs
# on input samples and one for those between, have gains at 0 Hz of 1.0005
# and 0.9995; that difference alternates from sample to sample, which is an
# image of the tone at 995 Hz, 66 dB down, and it is the error inside. At
# the two ends it is off by up to 0.5, half the tone's amplitude, where its
# filter reaches past the signal into zeros. ``linear`` clamps its first and
# last positions to the signal's ends, and there it is off by 2e-4 on this
# tone: more than inside, but less than a thousandth of the band-limited
# error there. For a
# smooth, heavily oversampled series, ``linear`` is accurate and cheap.
from upsample_helpers.signals import lowpass_taps

band_limited = resample(slow, 2, 1)
at_tone = torch.cos(2 * math.pi * 5 * (torch.arange(2000) / 2).double() / 1000)
inside = (band_limited - at_tone)[100:-100].abs().max().item()
ends = (band_limited - at_tone).abs().max().item()
taps = 2 * lowpass_taps(2)  # the filter of resample(x, 2, 1)
gains = taps[0::2].sum().item(), taps[1::2].sum().item()
positions = sample_positions(1000, 2000, False).double()
at_positions = torch.cos(2 * math.pi * 5 * positions / 1000)
linear_ends = (linear - at_positions).abs().max()
print(f"linear: image {level_db(linear, 995) - level_db(linear, 5):.0f} dB, "
      f"inside off by {off['(j + ½)/2 − ½']:.1e}, ends {linear_ends:.1e}")
image_db = level_db(band_limited, 995) - level_db(band_limited, 5)
print(f"band-limited: image {image_db:.0f} dB, inside off by {inside:.1e}, "
      f"at the ends by {ends:.2f}")
print(f"  its sub-filters' gains at 0 Hz: {gains[0]:.4f} and {gains[1]:.4f}")
assert level_db(linear, 995) - level_db(linear, 5) < -120
assert off["(j + ½)/2 − ½"] < inside and ends > 0.4
assert off["(j + ½)/2 − ½"] < linear_ends < ends / 1000
image_amplitude = 10 ** (image_db / 20)
assert abs(image_amplitude - inside) < 0.1 * inside  # the image is the error

# %%
# The filter's length: suppression against time
# ----------------------------------------------
# A longer filter is a sharper low-pass: it removes more of the image,
# takes less of the tone up to 10 zero crossings (from there the tone is
# within 0.01 dB either way), and costs more arithmetic per output. The table
# varies the zero crossings a side (SciPy's default is 10) on the 3 kHz
# doubling, and times a second of 44.1 kHz audio taken to 48 kHz on this
# machine, the median of 7 runs beside ``F.interpolate``'s ``linear``.
from upsample_helpers import median_seconds

tone, audio = tones(8000, 3000), tones(44100, 15000)
fast = median_seconds(lambda: interpolate_1d(audio, 48000, "linear"))
print(f"F.interpolate, linear: {fast * 1000:.2f} ms per second of audio")
print(f"{'zeros':>5} {'image':>9} {'tone':>9} {'time':>8} {'× linear':>9}")
suppression, droop = [], []
for zeros in (2, 3, 5, 10, 20):
    signal = resample(tone, 2, 1, zeros=zeros)
    suppression.append(level_db(signal, 5000) - level_db(signal, 3000))
    droop.append(abs(level_db(signal, 3000)))
    took = median_seconds(lambda z=zeros: resample(audio, 160, 147, zeros=z))
    print(f"{zeros:>5} {suppression[-1]:6.1f} dB {-droop[-1]:6.2f} dB "
          f"{took * 1000:5.2f} ms {took / fast:8.0f}×")
assert suppression == sorted(suppression, reverse=True)
assert droop[:4] == sorted(droop[:4], reverse=True) and max(droop[3:]) < 0.01

# %%
# The spectra
# -----------
# One row per method; the left column is the doubled 3 kHz tone, the right
# the halved 1 + 6 kHz signal, each spectrum in dB against the tones that
# went in (0 dB), the whole range of the new rate. Everything marked red is
# an error: the image at 5 kHz, the alias at 2 kHz. Nothing else rises above
# −100 dB in any of them. The Hann window weighs each signal's two ends down
# to nothing, so these spectra do not show the band-limited resampler's error
# at the ends (above).
import matplotlib.pyplot as plt

from upsample_helpers import save_for_readme
from upsample_helpers.signals import (
    loudest_elsewhere,
    plot_spectra,
    spectrum_db,
)

rows = {name: (spectrum_db(doubled[name]), spectrum_db(halved[name]))
        for name in ("nearest", "linear", "band-limited")}
figure = plot_spectra(rows, ("3 kHz, 8 → 16 kHz", "1 + 6 kHz, 16 → 8 kHz"),
                      ({"tone": 3000, "image": 5000},
                       {"tone": 1000, "alias": 2000}))
elsewhere = max(max(loudest_elsewhere(up, (3000, 5000)),
                    loudest_elsewhere(down, (1000, 2000)))
                for up, down in rows.values())
print(f"the loudest of everything else: {elsewhere:.0f} dB")
assert elsewhere < -100
save_for_readme(figure, "signals.png")
plt.show()

# %%
# The recipe
# ----------
# * To change the sample rate of audio, or of any signal with content near
#   its Nyquist frequency, use a band-limited resampler: ``resample`` above,
#   ``scipy.signal.resample_poly``, or ``julius``. ``F.interpolate``'s
#   ``nearest``, ``linear`` and ``area`` leave images when they upsample
#   and let aliases through when they shrink.
# * When halving a signal in torch without one, at least borrow the 2D
#   ``antialias=True``; plain ``nearest`` kept the whole alias here.
# * For a slow, oversampled series, ``linear`` is fine, and with the default
#   ``align_corners=False`` its samples sit at ``(j + ½)·in/out − ½`` (the
#   first and last clamped to the signal's ends), not at ``j·in/out``.
