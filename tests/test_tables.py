import pandas as pd
import pytest

from pipeline.core.tables import SchemaError, empty_frame, read_table, write_table


def _rejects(**overrides):
    row = {"stage": "ingest", "file": "f.txt", "line": 3, "reason": "bad", "raw": "x"}
    row.update(overrides)
    df = pd.DataFrame([row])
    df["line"] = df["line"].astype("Int64")
    return df


def test_round_trip(tmp_path):
    path = tmp_path / "rejects.parquet"
    write_table(_rejects(), "rejects", path)
    back = read_table(path, "rejects")
    assert back.loc[0, "reason"] == "bad" and back.loc[0, "line"] == 3


def test_missing_column_is_named(tmp_path):
    with pytest.raises(SchemaError, match=r"missing columns \['raw'\]"):
        write_table(_rejects().drop(columns=["raw"]), "rejects", tmp_path / "r.parquet")


def test_extra_column_is_named(tmp_path):
    with pytest.raises(SchemaError, match=r"unexpected columns \['extra'\]"):
        write_table(_rejects().assign(extra=1), "rejects", tmp_path / "r.parquet")


def test_null_in_required_column_is_refused(tmp_path):
    with pytest.raises(SchemaError, match="'reason' is null in row 0"):
        write_table(_rejects(reason=None), "rejects", tmp_path / "r.parquet")


def test_wrong_type_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "r.parquet"
    with pytest.raises(SchemaError):
        write_table(_rejects().assign(line=["three"]), "rejects", path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_reading_a_table_of_another_schema_fails(tmp_path):
    path = tmp_path / "r.parquet"
    write_table(_rejects(), "rejects", path)
    with pytest.raises(SchemaError, match="does not match the declared 'examples' schema"):
        read_table(path, "examples")


def test_missing_table_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.parquet"):
        read_table(tmp_path / "nothing.parquet", "rejects")


def test_empty_frame_has_the_declared_columns():
    assert list(empty_frame("rejects").columns) == ["stage", "file", "line", "reason", "raw"]


def test_a_lone_surrogate_is_a_schema_error_naming_column_and_row(tmp_path):
    path = tmp_path / "r.parquet"
    frame = pd.concat([_rejects(), _rejects()], ignore_index=True)
    frame["raw"] = pd.Series(["x", "bad \ud800 text"], dtype=object)  # pandas' string dtype refuses it earlier
    with pytest.raises(SchemaError, match=r"rejects table .*column 'raw', row 1: text that is not valid Unicode"):
        write_table(frame, "rejects", path)
    assert not path.exists()
