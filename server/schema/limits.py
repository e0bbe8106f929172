"""The depth, alias and size limits of a document, checked in time linear in its text.

A fragment may be spread many times, and fragments spread one another: ten spreads of F0 in F1,
ten of F1 in F2, and so on, make a 600-character document that expands to ten million fields.
Walking every spread again (as strawberry's QueryDepthLimiter and MaxAliasesLimiter do) costs
the expansion. Here each definition's body is walked once, each fragment is measured once and its
measure reused at every spread of it, so the cost is that of the text, whatever it expands to.

Measured through fragments, as if they were written out in place:
- depth: the longest chain of nested fields that have selections (introspection fields, whose
  names begin with "__", are not counted), per operation;
- aliases: aliased fields in all operations, a fragment's counted once per spread;
- fields: all fields in all operations, a fragment's counted once per spread.

Errors carry `extensions.code` LIMIT_EXCEEDED. Fragment cycles and unknown fragments are other
rules' business (NoFragmentCycles, KnownFragmentNames): here they count for nothing, and never loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from graphql.language import SKIP


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    fields: int = 0


@dataclass
class _Body:
    """What one definition's own text holds, and the spreads still to be added to it."""

    own: Measure = field(default_factory=Measure)
    # (fragment name, depth at the spread; None inside an introspection field)
    spreads: list[tuple[str, int | None]] = field(default_factory=list)


def _walk(selection_set: SelectionSetNode) -> _Body:
    body = _Body()
    own = body.own
    pending: list[tuple[SelectionSetNode, int, bool]] = [(selection_set, 0, False)]
    while pending:
        selections, depth, introspection = pending.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                own.fields += 1
                if selection.alias:
                    own.aliases += 1
                if selection.selection_set:
                    if introspection or selection.name.value.startswith("__"):
                        pending.append((selection.selection_set, depth, True))
                    else:
                        own.depth = max(own.depth, depth + 1)
                        pending.append((selection.selection_set, depth + 1, False))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, depth, introspection))
            elif isinstance(selection, FragmentSpreadNode):
                body.spreads.append((selection.name.value, None if introspection else depth))
    return body


def _combine(body: _Body, measured: dict[str, Measure]) -> Measure:
    total = Measure(body.own.depth, body.own.aliases, body.own.fields)
    for name, depth in body.spreads:
        spread = measured.get(name)
        if spread is None:  # unknown, or part of a cycle
            continue
        total.aliases += spread.aliases
        total.fields += spread.fields
        if depth is not None:
            total.depth = max(total.depth, depth + spread.depth)
    return total


def _measure_fragments(bodies: dict[str, _Body]) -> dict[str, Measure]:
    """Every fragment's measure, each computed once (an explicit stack: no recursion limit)."""
    measured: dict[str, Measure] = {}
    in_progress: set[str] = set()
    for root in bodies:
        stack = [root]
        while stack:
            name = stack[-1]
            if name in measured:
                stack.pop()
            elif name in in_progress:
                # every spread it needs is measured now (or is on the stack: a cycle)
                measured[name] = _combine(bodies[name], measured)
                in_progress.discard(name)
                stack.pop()
            else:
                in_progress.add(name)
                stack.extend(
                    spread
                    for spread in dict.fromkeys(s for s, _ in bodies[name].spreads)
                    if spread in bodies and spread not in measured and spread not in in_progress
                )
    return measured


def measure_operations(document: DocumentNode) -> list[tuple[OperationDefinitionNode, Measure]]:
    bodies = {
        d.name.value: _walk(d.selection_set) for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fragments = _measure_fragments(bodies)
    return [
        (d, _combine(_walk(d.selection_set), fragments))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def document_limits(*, max_depth: int, max_aliases: int, max_fields: int) -> type[ValidationRule]:
    """A validation rule enforcing the three limits. Build it once: the validation cache is
    keyed by the rule classes."""

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> object:
            report = self.context.report_error
            measures = measure_operations(node)
            for operation, measure in measures:
                if measure.depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    report(GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}: it nests {measure.depth} levels.",
                        operation,
                        extensions={"code": "LIMIT_EXCEEDED"},
                    ))
            aliases = sum(m.aliases for _, m in measures)
            if aliases > max_aliases:
                report(GraphQLError(
                    f"{aliases} aliases found. Allowed: {max_aliases} (fragments count once per spread).",
                    extensions={"code": "LIMIT_EXCEEDED"},
                ))
            fields = sum(m.fields for _, m in measures)
            if fields > max_fields:
                report(GraphQLError(
                    f"The document selects {fields} fields once its fragments are expanded. Allowed: {max_fields}.",
                    extensions={"code": "LIMIT_EXCEEDED"},
                ))
            return SKIP

    return DocumentLimits


__all__ = ["Measure", "document_limits", "measure_operations"]
