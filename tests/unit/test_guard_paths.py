"""Path containment: traversal, prefix siblings, encodings, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conduit.errors import SecurityError
from conduit.guard.paths import check_path, contain


@pytest.mark.parametrize(
    "user_path,allowed",
    [
        ("notes/a.txt", True),
        ("./a/../b.txt", True),
        ("..hidden", True),
        ("../outside.txt", False),
        ("/etc/passwd", False),
        ("~/.ssh/id_rsa", False),
        ("a\x00.txt", False),
    ],
)
def test_lexical_cases(tmp_path: Path, user_path: str, allowed: bool) -> None:
    assert check_path(str(tmp_path), user_path).allowed is allowed


def test_prefix_sibling_is_outside(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    assert not check_path(str(root), str(tmp_path / "project2" / "x")).allowed
    assert check_path(str(root), str(root / "x")).allowed


@pytest.mark.parametrize("encoded", ["%2e%2e/%2e%2e/etc/passwd", "%252e%252e%252f%252e%252e%252fetc", "..%5c..%5cetc", "．．/．．/etc", "file:///etc/passwd"])
def test_strict_mode_refuses_decodable_traversal(tmp_path: Path, encoded: str) -> None:
    assert check_path(str(tmp_path), encoded, strict=False).allowed
    assert not check_path(str(tmp_path), encoded, strict=True).allowed


def test_symlink_pointing_out_is_refused_even_for_new_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    os.symlink(tmp_path / "missing", root / "dangling")
    assert not check_path(str(root), "link/secret.txt").allowed
    assert not check_path(str(root), "dangling/new.txt").allowed
    (root / "real").mkdir()
    os.symlink(root / "real", root / "inner")
    assert check_path(str(root), "inner/file.txt").allowed


def test_windows_roots_on_any_host() -> None:
    assert check_path("C:\\Users\\project", "C:/Users\\project/src", resolve=False).allowed
    assert not check_path("C:\\Users\\project", "C:\\Users\\project2", resolve=False).allowed
    assert not check_path("/srv/root", "C:\\boot.ini").allowed


def test_contain_returns_the_resolved_path_or_raises(tmp_path: Path) -> None:
    assert contain(str(tmp_path), "a/b.txt") == str(tmp_path.resolve() / "a" / "b.txt")
    with pytest.raises(SecurityError, match="outside the root"):
        contain(str(tmp_path), "../../etc/passwd")
