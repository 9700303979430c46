"""One registry of the viewer's map layers: adding a layer to the map is one ``@register`` function.

Every module of the ``layers`` package is imported when the registry is first read, so a later
layer (frontages, places, inspection points, hotspots) is a new function in a new or existing
module, decorated with ``@register``; the viewer page and its layer control pick it up.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

__all__ = ["LayerSpec", "register", "registered", "build_layers"]


@dataclass(frozen=True)
class LayerSpec:
    """A layer of the viewer: ``build(context)`` returns a folium layer (None when it has nothing)."""

    name: str
    label: str
    build: Callable
    show: bool = True
    order: int = 100


_REGISTRY: dict[str, LayerSpec] = {}
_loaded = False


def register(name: str, label: str, *, show: bool = True, order: int = 100):
    """Decorate ``build(context) -> folium layer`` to put it in the viewer's layer control."""
    def decorate(build: Callable) -> Callable:
        if name in _REGISTRY and _REGISTRY[name].build is not build:
            raise ValueError(f"map layer {name!r} is registered twice")
        _REGISTRY[name] = LayerSpec(name, label, build, show, order)
        return build
    return decorate


def _load_package() -> None:
    global _loaded
    if not _loaded:
        package = importlib.import_module("layers")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"layers.{module.name}")
        _loaded = True


def registered() -> list[LayerSpec]:
    """Return every registered layer, in drawing order (lower ``order`` first, i.e. underneath)."""
    _load_package()
    return sorted(_REGISTRY.values(), key=lambda spec: (spec.order, spec.name))


def build_layers(context: dict, label=lambda spec: spec.label) -> list:
    """Build every registered layer for ``context``; ``label(spec)`` names it (e.g. in English)."""
    built = []
    for spec in registered():
        layer = spec.build(context)
        if layer is not None:
            layer.layer_name = label(spec)
            layer.show = spec.show
            built.append(layer)
    return built
