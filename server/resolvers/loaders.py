"""DataLoaders, one per model, created per operation so related rows load in one query per kind."""

from __future__ import annotations

from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

M = TypeVar("M", bound=Model)


def _batch_by_id(model: type[M]):
    async def load(ids: list[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=set(ids))}
        return [rows.get(i) for i in ids]

    return load


class Loaders:
    def __init__(self) -> None:
        self._by_model: dict[type[Model], DataLoader] = {}

    def of(self, model: type[M]) -> DataLoader[int, M | None]:
        loader = self._by_model.get(model)
        if loader is None:
            loader = self._by_model[model] = DataLoader(load_fn=_batch_by_id(model))
        return loader

    async def get(self, model: type[M], pk: int | None) -> M | None:
        return None if pk is None else await self.of(model).load(pk)
