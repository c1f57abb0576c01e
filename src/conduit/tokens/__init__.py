"""Offline token counting for OpenAI models: text, chat messages, tools, images, audio.

Importing this package is cheap: tiktoken and the vocabularies load on the
first count (once per process, thread-safe, sha256-verified, never from the
network).
"""

from __future__ import annotations

from conduit.tokens.audio import (
    audio_duration,
    audio_duration_from_file,
    audio_duration_upper_bound,
)
from conduit.tokens.context import check_context, context_window, trim_to_fit
from conduit.tokens.counting import (
    TokenCount,
    clear_count_cache,
    count_message_tokens,
    count_messages,
    count_response_format_tokens,
    count_response_input,
    count_response_input_tokens,
    count_tokens,
    count_tool_tokens,
    encoding_for_model,
)
from conduit.tokens.encodings import SUPPORTED_ENCODINGS, get_encoding
from conduit.tokens.images import (
    image_dimensions,
    image_dimensions_from_data_url,
    image_dimensions_from_file,
    image_input_tokens,
    max_image_input_tokens,
)
from conduit.tokens.models import encoding_name_for_model

__all__ = [
    "SUPPORTED_ENCODINGS",
    "TokenCount",
    "audio_duration",
    "check_context",
    "context_window",
    "audio_duration_from_file",
    "audio_duration_upper_bound",
    "clear_count_cache",
    "count_message_tokens",
    "count_messages",
    "count_response_format_tokens",
    "count_response_input",
    "count_response_input_tokens",
    "count_tokens",
    "count_tool_tokens",
    "encoding_for_model",
    "encoding_name_for_model",
    "get_encoding",
    "image_dimensions",
    "image_dimensions_from_data_url",
    "image_dimensions_from_file",
    "image_input_tokens",
    "max_image_input_tokens",
    "trim_to_fit",
]
