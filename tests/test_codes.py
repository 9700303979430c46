import pytest

from grids.codes import CodeError, check_grid_code, level_of, next_sequences, parent_code, spatial_order


@pytest.mark.parametrize("code, level", [("450203", "district"), ("450203008", "street"),
                                         ("450203008001", "community")])
def test_level_follows_from_length(code, level):
    assert level_of(code) == level


@pytest.mark.parametrize("bad", ["45020", "4502030080", "45020300800a", "４５０２０３", 450203.0, None])
def test_bad_region_codes_are_refused(bad):
    with pytest.raises(CodeError):
        level_of(bad)


def test_parent_codes():
    assert [parent_code(c) for c in ("450203008001", "450203008", "450203")] == ["450203008", "450203", "4502"]


def test_grid_code_checks_length_digits_and_prefix():
    assert check_grid_code("450203008001003", "450203008001") == "450203008001003"
    for bad, reason in [("45020300800100", "14 digits"), ("45020300800100x", "digits only"),
                        ("450203008002003", "does not start with"), ("450203008001000", "000")]:
        with pytest.raises(CodeError, match=reason):
            check_grid_code(bad, "450203008001")


def test_next_sequences_never_reuse_retired_codes():
    used = ["450203008001001", "450203008001004"]  # 004 retired, 002/003 gaps never refilled
    assert next_sequences(used, "450203008001", 2) == ["450203008001005", "450203008001006"]


def test_next_sequences_run_out_at_999():
    with pytest.raises(CodeError, match="at most 999 grids"):
        next_sequences(["450203008001998"], "450203008001", 2)


def test_spatial_order_is_north_to_south_then_west_to_east():
    xs = [10, 0, 10, 0]
    ys = [0, 0, 100, 100]
    assert spatial_order(xs, ys, row_height=50) == [3, 2, 1, 0]
