"""Images in diagnosis: checking an upload, and late fusion of the image encoder.

Every image a user sends (API ``image_base64``, CLI ``--image``) is checked
here, once, before anything decodes it for a model: it must be valid base64
(API), and a readable PNG or JPEG.

Why late fusion: no public data pairs a patient's chest image with a text
description, so an image branch cannot be trained jointly here. What can be
done soundly is Bayes' rule: the image encoder (trained on PneumoniaMNIST)
gives P(pneumonia | image) under its training prevalence ``prior``; dividing
out that prior's odds gives a likelihood ratio, which multiplies the diagnosis
model's odds for its "pneumonia" label (assuming text and image are
conditionally independent given the disease); the other labels share the rest
of the probability mass in their old proportions.
"""

from __future__ import annotations

import base64
import binascii
import io

import torch

from medkg.fusion.patient import PatientInputError

POSITIVE_LABEL = "pneumonia"  # PneumoniaMNIST's positive class
EPS = 1e-6


def check_image(image_base64: str | None, max_pixels: int) -> bytes | None:
    """The decoded PNG/JPEG upload (``None`` when none was given); raises
    :class:`PatientInputError` on bad input."""
    if not image_base64:
        return None
    try:
        raw = base64.b64decode(image_base64, validate=True)
    except (binascii.Error, ValueError):
        raise PatientInputError("image_base64 is not valid base64") from None
    return validate_image(raw, max_pixels)


def validate_image(raw: bytes, max_pixels: int) -> bytes:
    """``raw`` if it is a readable PNG or JPEG of at most ``max_pixels`` pixels;
    raises :class:`PatientInputError` otherwise.

    Why the pixel count is read from the header before anything is decoded: a
    48 KB PNG can declare 20,000 x 20,000 pixels (a "decompression bomb") and
    would take gigabytes to decode.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise PatientInputError(f"image must be PNG or JPEG, got {img.format}")
            width, height = img.size
            if width * height > max_pixels:
                raise PatientInputError(
                    f"image of {width} x {height} pixels is over the {max_pixels:,}-pixel limit"
                )
            img.verify()
    except Image.DecompressionBombError:
        raise PatientInputError(
            f"image declares more pixels than the {max_pixels:,}-pixel limit"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise PatientInputError("the image is not a readable PNG or JPEG") from None
    return raw


@torch.no_grad()
def image_probability(encoder: torch.nn.Module, raw: bytes) -> float:
    """P(positive class) for an uploaded PNG/JPEG, at the encoder's 28x28 input size."""
    from medkg.encoders.image import image_to_tensor

    encoder.eval()
    return float(torch.softmax(encoder(image_to_tensor(raw)), -1)[0, 1])


def fuse_image(
    probs: torch.Tensor, labels: list[str], p_image: float, prior: float
) -> tuple[torch.Tensor, int] | None:
    """``(new probabilities, index of the positive label)``, or None when the diagnosis
    model has no such label."""
    lower = [label.lower() for label in labels]
    if POSITIVE_LABEL not in lower:
        return None
    k = lower.index(POSITIVE_LABEL)
    p_img = min(max(p_image, EPS), 1 - EPS)
    pri = min(max(prior, EPS), 1 - EPS)
    ratio = (p_img / (1 - p_img)) / (pri / (1 - pri))
    pk = float(probs[k].clamp(EPS, 1 - EPS))
    odds = pk / (1 - pk) * ratio
    new_pk = odds / (1 + odds)
    out = probs * ((1 - new_pk) / (1 - pk))
    out[k] = new_pk
    return out, k
