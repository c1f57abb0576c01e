"""POST /v1/moderations: a small, deterministic category lexicon in OpenAI's shape.

Not a classifier: clearly violent, sexual, hateful, harassing, self-harm or
illicit wording (English and Spanish stems) scores high in its category and
flags; everything else gets tiny, hash-derived baseline scores. Enough for
tests of "a flagged prompt is refused, with the categories named". Like the
real endpoint, the response has no ``usage``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from starlette.responses import JSONResponse, Response

from conduit.sandbox import models as _models
from conduit.sandbox.content import make_id
from conduit.sandbox.errors import invalid, missing
from conduit.sandbox.http import Call
from conduit.sandbox.validate import check_params

PARAMS = {"model": "string", "input": "string|array"}
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
_IMAGE_CATEGORIES = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}

_LEXICON: dict[str, tuple[str, ...]] = {
    "violence": (
        r"kill(ing|ed)?\b", r"murder", r"stab(bing|bed)?\b", r"shoot(ing)? (him|her|them|you|people)", r"behead",
        r"massacre", r"torture", r"bomb (the|a)\b", r"matar", r"asesin", r"apuñal", r"tortur",
    ),
    "violence/graphic": (r"gore\b", r"dismember", r"disembowel", r"blood everywhere", r"desmembr", r"entrañas"),
    "harassment": (r"\byou('re| are) (worthless|pathetic|stupid|an idiot)", r"nobody likes you", r"eres (un )?(idiota|inútil)"),
    "harassment/threatening": (r"i('ll| will) (kill|hurt|find) you", r"you('re| are) going to die", r"te voy a matar"),
    "hate": (r"\b(all|those) \w+ (are|should be) (vermin|animals|subhuman)", r"racial slur", r"subhuman", r"infrahumano"),
    "hate/threatening": (r"(exterminate|wipe out) (all|every) ", r"exterminar a (todos|los)"),
    "self-harm": (r"kill myself", r"suicide", r"cut myself", r"self[- ]harm", r"suicid", r"quitarme la vida", r"hacerme daño"),
    "self-harm/intent": (r"i want to (die|kill myself|end it all)", r"i('m| am) going to kill myself", r"quiero (morir|suicidarme)"),
    "self-harm/instructions": (r"how (to|do i|can i) (kill myself|commit suicide|cut myself)", r"cómo suicidarme"),
    "sexual": (r"\bsex(ual)?\b", r"\bnude\b", r"\bporn", r"explicit sex", r"\berotic", r"desnud", r"pornogr"),
    "sexual/minors": (r"(child|minor|underage)\w* (sex|porn|nude)", r"(sex|porn|nude)\w* (with )?(a )?(child|minor|underage)"),
    "illicit": (r"make (meth|cocaine|heroin)", r"launder money", r"buy (stolen|illegal)", r"hack into", r"fabricar (droga|metanfetamina)"),
    "illicit/violent": (r"(build|make) a (bomb|pipe bomb|explosive)", r"fabricar una bomba", r"buy a (gun|weapon) illegally"),
}
_COMPILED = {category: [re.compile(p, re.IGNORECASE) for p in patterns] for category, patterns in _LEXICON.items()}
# a flag in a subcategory implies its parent
_PARENTS = {
    "violence/graphic": "violence",
    "harassment/threatening": "harassment",
    "hate/threatening": "hate",
    "self-harm/intent": "self-harm",
    "self-harm/instructions": "self-harm",
    "sexual/minors": "sexual",
    "illicit/violent": "illicit",
}


async def create(call: Call) -> Response:
    body = call.body
    check_params(body, PARAMS)
    body.setdefault("model", "omni-moderation-latest")
    info = call.resolve_model((_models.MODERATION,), endpoint="v1/moderations")
    if body.get("input") is None:
        raise missing("input")
    items = _items(body["input"], omni=info.family_id.startswith("omni"))
    results = [_score(texts, images) for texts, images in items]
    model = body["model"]
    resolved = "omni-moderation-2024-09-26" if model == "omni-moderation-latest" else model
    return JSONResponse({"id": make_id("modr-", call.request_id, length=24), "model": resolved, "results": results})


def _items(value: Any, *, omni: bool) -> list[tuple[list[str], int]]:
    """One (texts, image count) per result: strings → one each; a multimodal array → one in total."""
    if isinstance(value, str):
        return [([value], 0)]
    if not isinstance(value, list) or not value:
        raise invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
    if all(isinstance(v, str) for v in value):
        return [([v], 0) for v in value]
    if not omni:
        raise invalid("This model does not support image inputs.", "input")
    texts, images = [], 0
    for i, part in enumerate(value):
        if not isinstance(part, dict) or part.get("type") not in ("text", "image_url"):
            raise invalid(f"Invalid value for 'input[{i}].type'.", f"input[{i}].type", "invalid_value")
        if part["type"] == "text":
            texts.append(str(part.get("text", "")))
        else:
            images += 1
    if images > 1:
        raise invalid("Only one image per request is supported.", "input")
    return [(texts, images)]


def _score(texts: list[str], images: int) -> dict[str, Any]:
    text = "\n".join(texts)
    seed = hashlib.sha256(text.encode()).digest()
    scores: dict[str, float] = {}
    for position, category in enumerate(CATEGORIES):
        hits = sum(len(p.findall(text)) for p in _COMPILED[category])
        baseline = (seed[position] + 1) / 256 * 1e-4  # tiny, deterministic, never zero
        scores[category] = round(min(0.999, 0.82 + 0.05 * hits) if hits else baseline, 6)
    for child, parent in _PARENTS.items():
        if scores[child] > 0.5:
            scores[parent] = max(scores[parent], scores[child])
    categories = {category: scores[category] > 0.5 for category in CATEGORIES}
    applied = {
        category: (["text"] if texts else []) + (["image"] if images and category in _IMAGE_CATEGORIES else [])
        for category in CATEGORIES
    }
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }
