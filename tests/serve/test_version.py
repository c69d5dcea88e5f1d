"""serve.version: what the server reads of a version besides its weights."""

from serve import version


def test_lock_md5_finds_an_outputs_hash_in_any_stage():
    lock = """stages:
  train@blobs4:
    outs:
    - path: models/blobs4/weights.json
      md5: abc
  evaluate@blobs4:
    outs:
    - path: metrics/blobs4.points.csv
      md5: def
"""
    assert version.lock_md5(lock, "models/blobs4/weights.json") == "abc"
    assert version.lock_md5(lock, "metrics/blobs4.points.csv") == "def"
    assert version.lock_md5(lock, "models/other/weights.json") is None
