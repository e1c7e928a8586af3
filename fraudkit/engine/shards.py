"""Which rows each shard needs, so that a function run per shard gives what it gives on all the data.

A shard owns the entities whose key hashes to it. It receives every row that touches one of its
entities (a transfer goes to the shards of both its accounts) and every row its function reads
about *other* entities on the way (a counterparty's holder, the transfers of an account linked to
one of its phones); it runs the function on all it received and keeps the rows of its own
entities. A :class:`Sharding` writes that down per input frame as routes. :class:`LocalShards`
follows it in Polars (one shard: the whole frames, as on DuckDB); :mod:`fraudkit.engine.spark_shards`
follows the same routes in Spark, the shard of a key being ``pmod(xxhash64(key), shards)``.

Rows may reach a shard that does not need them (routes may over-approximate); a row a shard
needs must never be missing. Null keys place a row nowhere (the canonical tables' keys are never null).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.text import did_you_mean, join_words, plural

SHARD: Final = "__shard"
"""The shard id column of tagged rows (Int32)."""
FRAME: Final = "__frame"
"""Which input a row of the one long frame Spark groups came from."""
BROADCAST: Final = "broadcast"
"""A frame every shard receives whole: a small dimension (the reports)."""
HASH_SEED: Final = 0
"""The seed of the local shard hash (Polars' ``hash``; Spark places keys with its own xxhash64)."""

_KEY = "__key"
_SHARDS = "__shards"


def own_flag(column: str) -> str:
    """The Boolean column saying a tagged row's ``column`` value is owned by the row's shard."""
    return f"__own__{column}"


@dataclass(frozen=True)
class Owner:
    """A row goes to the shard owning the ``entity`` named in ``column``, and tells that shard it owns it."""

    column: str
    entity: str


@dataclass(frozen=True)
class Through:
    """A row goes to the shards owning every ``to`` value that the rows of ``frame`` (an input or a
    :class:`Derived` frame) pair with its ``column`` value in ``key``: an account to its linked phones."""

    column: str
    frame: str
    key: str
    to: str


@dataclass(frozen=True)
class Along:
    """A row goes wherever the rows of ``frame`` went that hold its ``column`` value in one of ``keys``:
    an account's row to every shard one of its transfers went to (``frame`` must be routed first)."""

    column: str
    frame: str
    keys: tuple[str, ...]


Route = Owner | Through | Along
PairFn = Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class Derived:
    """A frame the routes read, made by ``fn`` from two inputs. ``fn`` must give on the rows of one
    bucket of ``by`` (equal values of ``by[0]`` in the first input and ``by[1]`` in the second)
    exactly its rows for that bucket, so that Spark can run it per bucket (a cogroup)."""

    name: str
    inputs: tuple[str, str]
    by: tuple[str, str]
    fn: PairFn
    schema: Mapping[str, pl.DataType]


@dataclass(frozen=True)
class Sharding:
    """The routes of each input frame (or :data:`BROADCAST`), in the order they are followed."""

    routes: Mapping[str, tuple[Route, ...] | str]
    derived: tuple[Derived, ...] = ()
    entities: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        known = {d.name for d in self.derived} | set(self.routes)
        seen: set[str] = set()
        for name, routes in self.routes.items():
            if isinstance(routes, str):
                if routes != BROADCAST:
                    raise ValueError(f"frame {name!r}: routes must be a tuple or {BROADCAST!r}, not {routes!r}")
            else:
                for route in routes:
                    if isinstance(route, Through) and route.frame not in known:
                        raise ValueError(f"frame {name!r}: route through unknown frame {route.frame!r}")
                    if isinstance(route, Along) and route.frame not in seen:
                        raise ValueError(f"frame {name!r}: routed along {route.frame!r}, which must be routed first")
            seen.add(name)
        for d in self.derived:
            if not set(d.inputs) <= set(self.routes):
                raise ValueError(f"derived frame {d.name!r} reads frames that are not inputs: {d.inputs}")
        owners = {o.entity: None for _, o in self.owners()}
        object.__setattr__(self, "entities", tuple(owners))

    def owners(self) -> list[tuple[str, Owner]]:
        """(frame, route) for every Owner route: where a shard learns which entities it owns."""
        return [
            (name, r)
            for name, routes in self.routes.items()
            if not isinstance(routes, str)
            for r in routes
            if isinstance(r, Owner)
        ]

    def check_frames(self, frames: Mapping[str, object]) -> None:
        """One clear error for an input the routes need and do not get, or get and cannot place."""
        missing = [name for name in self.routes if name not in frames]
        if missing:
            raise ConfigError(
                f"sharded run lacks the frame {missing[0]!r}", hint="give " + join_words(self.routes, "and")
            )
        unplaced = [name for name in frames if name not in self.routes]
        if unplaced:
            raise ConfigError(
                f"frame {unplaced[0]!r} has no route in the sharding",
                hint="its frames are " + join_words(self.routes, "and") + did_you_mean(unplaced[0], self.routes),
            )


@dataclass(frozen=True)
class Shard:
    """One shard's input frames and the entities it owns (``owned`` None: the only shard, owning all)."""

    index: int
    count: int
    frames: Mapping[str, pl.DataFrame]
    owned: Mapping[str, pl.Series] | None

    def keep(self, frame: pl.DataFrame, column: str, entity: str) -> pl.DataFrame:
        """The rows of ``frame`` whose ``column`` is an ``entity`` this shard owns (all rows on a single shard)."""
        if self.owned is None:
            return frame
        owned = self.owned.get(entity)
        if owned is None:
            raise ValueError(f"no Owner route names the entity {entity!r}")
        return frame.filter(pl.col(column).is_in(owned.implode()))


ShardFn = Callable[[Shard], pl.DataFrame]
"""A pure function of one shard to its result rows (the rows of the entities it owns)."""


def conform(result: pl.DataFrame, schema: Mapping[str, pl.DataType], *, what: str = "shard function") -> pl.DataFrame:
    """``result`` with exactly ``schema``'s columns, in order and cast; a clear error for a missing one."""
    missing = [c for c in schema if c not in result.columns]
    if missing:
        raise ValueError(f"{what}'s result lacks the columns {missing} of its schema")
    return result.select(pl.col(c).cast(t) for c, t in schema.items())


def as_input(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], time_zone: str = "UTC") -> pl.DataFrame:
    """``frame``'s columns of ``schema``, typed as the caller's input was: Spark hands timestamps back in
    UTC with a zone; a naive input column gets its wall time in the session's ``time_zone`` again."""
    cols = []
    for name, dtype in schema.items():
        col = pl.col(name)
        got = frame.schema.get(name)
        zoned = isinstance(got, pl.Datetime) and got.time_zone is not None
        if zoned and isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            col = col.dt.convert_time_zone(time_zone).dt.replace_time_zone(None)
        cols.append(col.cast(dtype).alias(name))
    return frame.select(cols)


def open_shard(
    index: int,
    count: int,
    tagged: Mapping[str, pl.DataFrame],
    sharding: Sharding,
    schemas: Mapping[str, Mapping[str, pl.DataType]],
    time_zone: str = "UTC",
) -> Shard:
    """A :class:`Shard` from one shard's tagged rows: owned keys read off the Owner flags, then the flags
    and the shard column dropped and every frame typed as its input was."""
    owned: dict[str, list[pl.Series]] = {entity: [] for entity in sharding.entities}
    for name, route in sharding.owners():
        frame = tagged[name]
        flag = own_flag(route.column)
        if flag in frame.columns:
            owned[route.entity].append(frame.filter(pl.col(flag))[route.column].cast(pl.String))
    keys = {
        entity: pl.concat(parts).unique() if parts else pl.Series(entity, [], pl.String)
        for entity, parts in owned.items()
    }
    frames = {name: as_input(tagged[name], schemas[name], time_zone) for name in sharding.routes}
    return Shard(index, count, frames, keys)


# --- the local implementation: the same routes in Polars --------------------------------------------


def shard_of(key: pl.Expr, shards: int) -> pl.Expr:
    """The local shard of a key (Int32; null for a null key), hashed as text: an identifier read as a
    category (``features.prepare.ID``) lands where the same identifier as a string does."""
    text = key.cast(pl.String)
    return pl.when(key.is_not_null()).then((text.hash(seed=HASH_SEED) % shards).cast(pl.Int32))


def _pairs_map(frame: pl.DataFrame, key: str, shards: pl.Expr) -> pl.DataFrame:
    """key -> list of distinct shards, from one frame's (key, shard) pairs."""
    if key not in frame.columns:
        return pl.DataFrame(schema={_KEY: frame.schema.get(key, pl.String), _SHARDS: pl.List(pl.Int32)})
    return (
        frame.select(pl.col(key).alias(_KEY), shards.alias("_s"))
        .drop_nulls()
        .unique()
        .group_by(_KEY)
        .agg(pl.col("_s").sort().alias(_SHARDS))
    )


def _route_map(
    route: Through | Along, sources: Mapping[str, pl.DataFrame], tagged: Mapping[str, pl.DataFrame], shards: int
) -> pl.DataFrame:
    if isinstance(route, Through):
        source = sources[route.frame]
        if route.to not in source.columns:
            return pl.DataFrame(schema={_KEY: pl.String, _SHARDS: pl.List(pl.Int32)})
        return _pairs_map(source, route.key, shard_of(pl.col(route.to), shards))
    done = tagged[route.frame]
    keys = [k for k in route.keys if k in done.columns]
    if not keys:
        return pl.DataFrame(schema={_KEY: pl.String, _SHARDS: pl.List(pl.Int32)})
    pairs = pl.concat([done.select(pl.col(k).alias(_KEY), pl.col(SHARD)) for k in keys])
    return _pairs_map(pairs, _KEY, pl.col(SHARD))


def tag_frames(frames: Mapping[str, pl.DataFrame], sharding: Sharding, shards: int) -> dict[str, pl.DataFrame]:
    """Every input row once per shard that needs it, with its ``__shard`` and the Owner flags."""
    sources: dict[str, pl.DataFrame] = dict(frames)
    for d in sharding.derived:
        sources[d.name] = conform(d.fn(frames[d.inputs[0]], frames[d.inputs[1]]), d.schema, what=d.name)
    tagged: dict[str, pl.DataFrame] = {}
    for name, routes in sharding.routes.items():
        frame = frames[name]
        columns = frame.columns
        if isinstance(routes, str):  # BROADCAST
            tagged[name] = frame.join(pl.DataFrame({SHARD: range(shards)}, schema={SHARD: pl.Int32}), how="cross")
            continue
        lists: list[pl.Expr] = []
        for i, route in enumerate(routes):
            if route.column not in columns:
                continue  # an optional column the frame lacks: null everywhere, so it places nothing
            if isinstance(route, Owner):
                lists.append(pl.concat_list(shard_of(pl.col(route.column), shards)))
                continue
            alias = f"{_SHARDS}{i}"
            mapping = _route_map(route, sources, tagged, shards)
            mapping = mapping.cast({_KEY: frame.schema[route.column]}).rename({_KEY: route.column, _SHARDS: alias})
            frame = frame.join(mapping, on=route.column, how="left", maintain_order="left")
            lists.append(pl.col(alias).fill_null(pl.lit([], pl.List(pl.Int32))))
        placed = pl.concat_list(lists).list.drop_nulls().list.unique() if lists else pl.lit([], pl.List(pl.Int32))
        out = frame.select(*columns, placed.alias(SHARD)).explode(SHARD).drop_nulls(SHARD)
        flags = [
            (shard_of(pl.col(r.column), shards) == pl.col(SHARD)).fill_null(False).alias(own_flag(r.column))
            for r in routes
            if isinstance(r, Owner) and r.column in columns
        ]
        tagged[name] = out.with_columns(flags)
    return tagged


def local_shards(frames: Mapping[str, pl.DataFrame], sharding: Sharding, shards: int) -> Iterator[Shard]:
    """The shards of ``frames`` one after another, each opened as the function will see it."""
    tagged = tag_frames(frames, sharding, shards)
    schemas = {name: frames[name].schema for name in sharding.routes}
    parts = {name: frame.partition_by(SHARD, as_dict=True) for name, frame in tagged.items()}
    for index in range(shards):
        rows = {name: parts[name].get((index,), tagged[name].clear()) for name in sharding.routes}
        yield open_shard(index, shards, rows, sharding, schemas)


class LocalShards:
    """The routes followed in Polars in this process: one shard (the whole frames, what DuckDB users run)
    or several one after another, which tests the sharding rule without Spark."""

    name = "local"

    def map_shards(
        self,
        frames: Mapping[str, pl.DataFrame | pl.LazyFrame],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int = 1,
    ) -> pl.DataFrame:
        """``fn`` per shard, the results concatenated in shard order and typed as ``schema``."""
        check_shards(shards)
        sharding.check_frames(frames)
        data = {name: _polars_frame(name, f) for name, f in frames.items()}
        if shards == 1:
            return conform(fn(Shard(0, 1, data, None)), schema)
        results = [conform(fn(shard), schema) for shard in local_shards(data, sharding, shards)]
        return pl.concat(results, how="vertical")


def _polars_frame(name: str, frame: object) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    raise ConfigError(
        f"frame {name!r} is a {type(frame).__name__}, not a Polars frame",
        hint="Spark DataFrames go through fraudkit.engine.spark_shards.SparkShards",
    )


def check_shards(shards: int) -> None:
    if shards < 1:
        raise ConfigError(
            f"shards must be at least 1, not {shards}",
            hint=f"{plural(1, 'shard')} is the whole data; on Spark, a few per executor core",
        )
