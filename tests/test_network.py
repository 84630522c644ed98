"""Ad networks: shared identifiers and near-duplicate templates, hubs kept from merging all."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from detector.network import (
    ClusterCollector,
    band_keys,
    cluster,
    cluster_dask,
    link_key,
    network_risk,
)
from detector.network.keys import contact_ids

FOOTER = "email:careers@bigboard.example"
HOTLINE = "phone:+622150001234"


def _words(rng: np.random.Generator, n: int) -> list[str]:
    return [f"w{int(x)}" for x in rng.integers(0, 20_000, n)]


def _posted(m: int) -> str:
    """Member m of a network posts on 1 + m March 2024, written in mixed ways (one
    unreadable)."""
    if m == 4:
        return "kemarin"  # "yesterday": not a date
    return (f"2024-03-{m + 1:02d}", f"{m + 1} Mar 2024", f"2024-03-{m + 1:02d}T09:30:00+07:00")[
        m % 3
    ]


@cache
def _board(seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Background ads (unique text and phone, a board footer everywhere, a big employer's
    hotline on 30%) plus planted networks; returns the frame and the true network per row."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    truth: list[int] = []
    for i in range(3000):
        contacts = [FOOTER, f"phone:+6281{i:08d}"]
        if rng.random() < 0.3:
            contacts.append(HOTLINE)
        rows.append(
            {
                "title": f"role {i}",
                "description": " ".join(_words(rng, 50)),
                "company": f"company {i % 700}",
                "location": f"city {i % 40}",
                "contacts": ";".join(contacts),
                "posted_at": f"2024-01-{i % 28 + 1:02d}",
            }
        )
        truth.append(-1)
    for net in range(25):
        template = _words(rng, 60)
        wa = f"whatsapp:+62899{net:07d}"
        for m in range(int(rng.integers(4, 13))):
            use_contact = m == 0 or rng.random() < 0.6
            use_template = m == 0 or not use_contact or rng.random() < 0.5
            if use_template:
                words = list(template)
                words[int(rng.integers(0, 60))] = "changed"  # a repost with a small edit
            else:
                words = _words(rng, 50)
            contacts = [FOOTER] + ([wa] if use_contact else [f"phone:+6287{net:03d}{m:05d}"])
            rows.append(
                {
                    "title": f"net {net} job {m}",
                    "description": " ".join(words),
                    "company": f"front {net}-{m}",
                    "location": "Phnom Penh",
                    "contacts": ";".join(contacts),
                    "posted_at": _posted(m),
                }
            )
            truth.append(net)
    frame = pd.DataFrame(rows)
    frame["scam_probability"] = np.where(np.array(truth) >= 0, 0.8, 0.05)
    frame["risk"] = np.where(np.array(truth) >= 0, "high", "low")
    frame["categories"] = np.where(np.array(truth) >= 0, "fees;destination", "")
    frame["line"] = np.arange(2, len(frame) + 2)
    order = rng.permutation(len(frame))  # interleave, so nothing depends on row order
    return frame.iloc[order].reset_index(drop=True), np.array(truth)[order]


def _pair_scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    def pairs(labels: np.ndarray) -> set[tuple[int, int]]:
        groups: dict[int, list[int]] = {}
        for i, c in enumerate(labels.tolist()):
            if c >= 0:
                groups.setdefault(c, []).append(i)
        return {p for g in groups.values() for p in combinations(g, 2)}

    p, t = pairs(pred), pairs(truth)
    return len(p & t) / max(len(p), 1), len(p & t) / max(len(t), 1)


def test_planted_networks_are_found() -> None:
    frame, truth = _board()
    rows, table = cluster(frame.copy())
    precision, recall = _pair_scores(rows["cluster_id"].to_numpy(), truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    assert len(table) == 25
    assert (rows.loc[truth < 0, "cluster_id"] == -1).mean() > 0.99
    big = table.iloc[0]
    assert big["size"] == table["size"].max() and big["n_companies"] == big["size"]
    assert big["network_risk"] == "high" and big["n_locations"] == 1
    assert set(table["linked_by"]) <= {"identifier", "text", "identifier;text"}
    assert table["shared_identifiers"].str.startswith("whatsapp:+62899").all()
    # Every clustered row carries its cluster's risk; unclustered rows carry none.
    assert rows.loc[rows["cluster_id"] >= 0, "network_risk"].notna().all()
    assert rows.loc[rows["cluster_id"] < 0, "network_risk"].isna().all()


def test_clusters_say_when_their_ads_were_posted() -> None:
    frame, truth = _board()
    rows, table = cluster(frame)
    assert (table["first_posted"] == "2024-03-01T00:00:00+00:00").all()
    for _, c in table.iterrows():
        net = int(pd.Series(truth[rows["cluster_id"] == c["cluster_id"]]).mode()[0])
        size = int((truth == net).sum())
        last = max(m for m in range(size) if m != 4)  # member 4's date is unreadable
        hour = "02:30" if last % 3 == 2 else "00:00"  # 09:30 in UTC+7
        assert c["last_posted"] == f"2024-03-{last + 1:02d}T{hour}:00+00:00", c["last_posted"]
    undated = frame.drop(columns=["posted_at"])
    _, table = cluster(undated)
    assert table["first_posted"].isna().all() and table["last_posted"].isna().all()


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("whatsapp:+6281234567890", "phone:+6281234567890"),
        ("phone:+6281234567890", "phone:+6281234567890"),
        ("whatsapp:https://chat.whatsapp.com/abc", "whatsapp:https://chat.whatsapp.com/abc"),
        ("email:hr@example.com", "email:hr@example.com"),
    ],
)
def test_link_key_makes_one_number_one_key(written: str, key: str) -> None:
    assert link_key(written) == key


def test_a_number_links_ads_whether_written_as_whatsapp_phone_or_wa_me() -> None:
    # "WA 0812…", "call +62 812…" and "wa.me/62812…" all give +6281200001111.
    frame = pd.DataFrame(
        {
            "text": [f"ad {i} " + " ".join(f"u{i}x{j}" for j in range(12)) for i in range(4)],
            "contacts": [
                "whatsapp:+6281200001111",
                "phone:+6281200001111;email:a@example.com",
                "whatsapp:+6281200001111",
                "phone:+6281299999999",
            ],
            "scam_probability": [0.9, 0.8, 0.7, 0.1],
            "risk": ["high", "high", "medium", "low"],
            "categories": ["fees", "fees", "", ""],
        }
    )
    rows, clusters = cluster(frame, min_hub_rows=20)
    ids = rows["cluster_id"].tolist()
    assert ids[0] == ids[1] == ids[2] >= 0 and ids[3] == -1
    (shared,) = clusters["shared_identifiers"].tolist()
    assert shared == "whatsapp:+6281200001111"  # shown as first written


def test_common_identifiers_do_not_merge_everything() -> None:
    frame, truth = _board()
    rows, table = cluster(frame)
    assert table["size"].max() <= 12
    assert set(table.attrs["hubs"]) == {FOOTER, HOTLINE}
    assert FOOTER not in ";".join(table["shared_identifiers"])
    # Without the hub rule the footer chains the whole board into one cluster.
    merged, _ = cluster(frame, hub_share=1.0, min_hub_rows=10**9)
    assert (merged["cluster_id"] == 0).all()


def test_collector_in_chunks_equals_one_frame() -> None:
    frame, _ = _board(seed=3)
    whole, _ = cluster(frame)
    col = ClusterCollector()
    for start in range(0, len(frame), 500):
        col.add(frame.iloc[start : start + 500])
    labels, _ = col.result()
    assert (labels == whole["cluster_id"].to_numpy()).all()


@pytest.mark.parametrize(
    ("a", "b", "linked"),
    [
        ("apply now " * 10, "apply now " * 10, True),
        (" ".join(f"t{i}" for i in range(40)), " ".join(f"t{i}" for i in range(40)) + " wa 0812", True),
        (" ".join(f"t{i}" for i in range(40)), " ".join(f"u{i}" for i in range(40)), False),
    ],
)  # fmt: skip
def test_band_keys_link_near_duplicates(a: str, b: str, linked: bool) -> None:
    ka, kb = band_keys(a), band_keys(b)
    assert ka is not None and kb is not None
    assert bool((ka == kb).any()) is linked
    assert band_keys("too short") is None


def test_band_keys_are_equal_in_every_process() -> None:
    """The Dask path compares keys made on different workers: no salted hash() inside."""
    text = "Lowongan kerja admin di Kamboja gaji 15 juta tiket gratis hubungi WA 0812 segera"
    code = (
        "from detector.network import band_keys; import sys; "
        f"sys.stdout.write(','.join(map(str, band_keys({text!r}).tolist())))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert seen == {",".join(map(str, band_keys(text).tolist()))}


def test_dask_clusters_equal_local_clusters() -> None:
    """Keys per partition, a shuffle by key, components on the edges: the same clusters,
    numbered the same, as the local engine; on a two-worker LocalCluster."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    frame, _ = _board(seed=5)
    rows, want = cluster(frame)
    bounds = [0, 700, 1500, 1510, 2600, len(frame)]  # uneven partitions, one tiny
    ddf = dd.from_pandas(frame, npartitions=1).repartition(divisions=bounds[:-1] + [bounds[-1] - 1])
    assert ddf.npartitions == 5
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cl,
        Client(cl),
    ):
        assign, got = cluster_dask(ddf)
    labels = np.full(len(frame), -1)
    labels[assign["row"].to_numpy()] = assign["cluster_id"].to_numpy()
    assert (labels == rows["cluster_id"].to_numpy()).all()
    assert len(got) == 25
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs["hubs"] == want.attrs["hubs"] and set(got.attrs["hubs"]) == {FOOTER, HOTLINE}


@pytest.mark.parametrize(
    ("risks", "size", "companies", "shared", "expected"),
    [
        (["low", "low"], 2, 1, True, "low"),
        (["low", "medium"], 2, 1, True, "medium"),
        (["low", "medium", "low"], 3, 3, True, "high"),  # one number, three "employers"
        (["low", "low", "low"], 3, 3, False, "low"),  # text-only link: no fronting pattern
        (["high"] * 6, 6, 1, False, "high"),
    ],
)
def test_network_risk(
    risks: list[str], size: int, companies: int, shared: bool, expected: str
) -> None:
    probs = np.full(size, 0.1)
    assert network_risk(risks, probs, size, companies, shared, not shared) == expected


@pytest.mark.parametrize(
    ("cell", "ids"),
    [
        (None, []),
        (float("nan"), []),
        ("", []),
        ("[]", []),
        (
            '[{"kind": "whatsapp", "value": "+6281200001111", "text": "WA 0812 0000 1111", '
            '"start": 3, "end": 20, "flags": []}, {"kind": "email", "value": "a@b.example", '
            '"text": "a@b.example", "start": 30, "end": 41, "flags": []}]',
            ["whatsapp:+6281200001111", "email:a@b.example"],
        ),
        ([{"kind": "phone", "value": "+62215550101"}], ["phone:+62215550101"]),  # JSONL read back
        ("whatsapp:+6281200001111;whatsapp:+6281200001111;email:a@b.example",  # older outputs
         ["whatsapp:+6281200001111", "email:a@b.example"]),
        ("[not json", []),
    ],
)  # fmt: skip
def test_contact_ids_reads_every_shape_of_the_contacts_cell(cell: object, ids: list[str]) -> None:
    assert contact_ids(cell) == ids
