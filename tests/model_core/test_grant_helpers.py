"""The grant helpers the engine, the power model and the placers share (``model.cluster``):
a grant of thousands of racks is walked at C speed, so each is checked here by hand against
what a rack-by-rack reading of the grant gives."""

from __future__ import annotations

import numpy as np
import pytest

from colossim.model.cluster import Ledger, build_layout, gpus_by_type, grant_gpus, plain_pairs
from tests.conftest import make_scenario

TYPES = ["GB200", "GB200", "GB300", "GB300", "GB200"]  # a name per rack


def test_grant_gpus_adds_each_rack_s_gpus():
    assert grant_gpus(((0, 72), (3, 8), (9, 1))) == 81
    assert grant_gpus(()) == 0


def test_a_grant_of_one_type_is_summed_under_that_type():
    assert gpus_by_type(((0, 72), (1, 8), (4, 16)), TYPES) == {"GB200": 96}


def test_a_mixed_grant_keeps_each_type_in_the_order_it_first_appears():
    by_type = gpus_by_type(((2, 72), (0, 8), (3, 4), (4, 16)), TYPES)
    assert by_type == {"GB300": 76, "GB200": 24}
    assert list(by_type) == ["GB300", "GB200"]  # the power model adds draws in this order


def test_type_indices_work_as_well_as_names():
    assert gpus_by_type(((0, 1), (2, 2)), [0, 0, 1, 1, 0]) == {0: 1, 1: 2}
    assert gpus_by_type((), TYPES) == {}


@pytest.mark.parametrize("grant, plain", [
    (((0, 72), (1, 8)), True),
    ([(0, 72)], True),
    ((), True),
    (((0, True),), False),  # a bool is not a GPU count
    (((np.int64(0), 72),), False),  # numpy integers are converted first
    (((0, 72.0),), False),
    (([0, 72],), False),  # a list pair: sorting would keep it a list
    (((0, 72, 1),), False),
    ({0: 72}, False),
])
def test_plain_pairs_are_tuples_of_two_python_ints(grant, plain):
    assert plain_pairs(grant) is plain


@pytest.mark.parametrize("grant, booked", [
    (((1, 72), (0, 8)), ((0, 8), (1, 72))),  # plain: sorted as it is
    (((np.int64(1), np.int32(72)), (0, 8)), ((0, 8), (1, 72))),  # converted
    (((0, 8), (0, 16), (1, 0)), ((0, 16),)),  # a rack named twice: the last count, no zeros
])
def test_the_ledger_books_a_plain_grant_as_it_would_a_converted_one(grant, booked):
    book = Ledger(build_layout(make_scenario(
        [{"name": "x", "params_billion": 1, "tokens_billion": 1, "max_gpus": 8}], racks=2)))
    assert book.allocate(0, grant) == booked
    assert all(type(r) is int and type(n) is int for r, n in book.holdings[0])
    assert int(book.free.sum()) == 144 - grant_gpus(booked)
