"""The depth, alias, size and width limits of a document, checked in time linear in its text.

A fragment may be spread many times, and fragments spread one another: ten spreads of F0 in F1,
ten of F1 in F2, and so on, make a 600-character document that expands to ten million fields.
Walking every spread again (as strawberry's QueryDepthLimiter and MaxAliasesLimiter do) costs
the expansion. Here each definition's body is walked once, each fragment is measured once and its
measure reused at every spread of it, so the cost is that of the text, whatever it expands to.

Measured through fragments, as if they were written out in place:
- depth: the longest chain of nested fields that have selections (introspection fields, whose
  names begin with "__", are not counted), per operation;
- aliases: aliased fields in all operations, a fragment's counted once per spread;
- fields: all fields in all operations, a fragment's counted once per spread;
- width: the fields of the widest selection set, a spread fragment's top-level fields (and an
  inline fragment's) counted in the selection set it is spread in, once per spread.

The width matters to graphql-core's OverlappingFieldsCanBeMerged, which compares the fields of a
selection set that share a response name pairwise: 450 copies of `viewer { name }` (7 KB) cost
it 100,000 comparisons, seconds of a blocked event loop. graphql-core runs all rules in one visit
of the document; the limits are measured when it enters the document node, before any rule sees
a selection set, and a document over a limit ends the visit there (ValidationAbortedError): the
standard rules never look at it. What is left to the pairwise comparisons within the limits
(wide fragments compared with the fields beside them, level after level) is metered: past a
budget of comparisons the validation stops with LIMIT_EXCEEDED too (`metered_overlapping_fields`).

Errors carry `extensions.code` LIMIT_EXCEEDED. Fragment cycles and unknown fragments are other
rules' business (NoFragmentCycles, KnownFragmentNames): here they count for nothing, and never loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    ValidationRule,
)
from graphql.language import SKIP
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    # the fields of the definition's own selection set, its spreads expanded
    top: int = 0
    # the widest selection set, its spreads expanded, and the node it belongs to
    width: int = 0
    widest: Node | None = None


@dataclass
class _Level:
    """One selection set with the inline fragments in it: the fields that share a response level."""

    node: Node  # the field, operation or fragment whose selection set it is
    fields: int = 0
    spreads: list[str] = field(default_factory=list)


@dataclass
class _Body:
    """What one definition's own text holds, and the spreads still to be added to it."""

    own: Measure = field(default_factory=Measure)
    # (fragment name, depth at the spread; None inside an introspection field)
    spreads: list[tuple[str, int | None]] = field(default_factory=list)
    # the definition's own selection set first
    levels: list[_Level] = field(default_factory=list)


def _walk(definition: OperationDefinitionNode | FragmentDefinitionNode) -> _Body:
    body = _Body()
    own = body.own
    pending: list[tuple[SelectionSetNode, int, bool, _Level]] = []

    def level(node: Node, selection_set: SelectionSetNode, depth: int, introspection: bool) -> None:
        body.levels.append(_Level(node))
        pending.append((selection_set, depth, introspection, body.levels[-1]))

    level(definition, definition.selection_set, 0, False)
    while pending:
        selections, depth, introspection, at = pending.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                own.fields += 1
                at.fields += 1
                if selection.alias:
                    own.aliases += 1
                if selection.selection_set:
                    if introspection or selection.name.value.startswith("__"):
                        level(selection, selection.selection_set, depth, True)
                    else:
                        own.depth = max(own.depth, depth + 1)
                        level(selection, selection.selection_set, depth + 1, False)
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, depth, introspection, at))
            elif isinstance(selection, FragmentSpreadNode):
                body.spreads.append((selection.name.value, None if introspection else depth))
                at.spreads.append(selection.name.value)
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
        if spread.width > total.width:
            total.width, total.widest = spread.width, spread.widest
    for index, level in enumerate(body.levels):
        width = level.fields + sum(measured[name].top for name in level.spreads if name in measured)
        if index == 0:
            total.top = width
        if width > total.width:
            total.width, total.widest = width, level.node
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
    return _measure_document(document)[0]


def _measure_document(
    document: DocumentNode,
) -> tuple[list[tuple[OperationDefinitionNode, Measure]], dict[str, Measure]]:
    bodies = {d.name.value: _walk(d) for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    fragments = _measure_fragments(bodies)
    operations = [
        (d, _combine(_walk(d), fragments)) for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    return operations, fragments


def _describe(node: Node | None) -> str:
    if isinstance(node, FieldNode):
        return f"field '{(node.alias or node.name).value}'"
    if isinstance(node, FragmentDefinitionNode):
        return f"fragment '{node.name.value}'"
    if isinstance(node, OperationDefinitionNode) and node.name:
        return f"operation '{node.name.value}'"
    return "the anonymous operation"


def document_limits(*, max_depth: int, max_aliases: int, max_fields: int, max_width: int) -> type[ValidationRule]:
    """A validation rule enforcing the four limits, which ends the validation of a document over
    one of them. Build it once: the validation cache is keyed by the rule classes."""

    def exceeded(node: DocumentNode) -> list[GraphQLError]:
        errors = []
        measures, fragments = _measure_document(node)
        for operation, measure in measures:
            if measure.depth > max_depth:
                name = operation.name.value if operation.name else "anonymous"
                errors.append(GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {max_depth}: it nests {measure.depth} levels.",
                    operation,
                ))
        aliases = sum(m.aliases for _, m in measures)
        if aliases > max_aliases:
            errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases} (fragments count once per spread)."))
        fields = sum(m.fields for _, m in measures)
        if fields > max_fields:
            errors.append(GraphQLError(
                f"The document selects {fields} fields once its fragments are expanded. Allowed: {max_fields}."
            ))
        # unused fragments too: the standard rules would compare their fields all the same
        width, widest = max(
            ((m.width, m.widest) for m in [*(m for _, m in measures), *fragments.values()]),
            key=lambda pair: pair[0],
            default=(0, None),
        )
        if width > max_width:
            errors.append(GraphQLError(
                f"The selection set of {_describe(widest)} selects {width} fields once its fragments are expanded."
                f" Allowed: {max_width}.",
                widest,
            ))
        return errors

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> object:
            *reported, last = exceeded(node) or [None]
            if last is None:
                return SKIP
            for error in reported:
                error.extensions = {"code": "LIMIT_EXCEEDED"}
                self.report_error(error)
            # the end of the validation: graphql-core adds this error to the reported ones
            raise ValidationAbortedError(last.message, last.nodes, extensions={"code": "LIMIT_EXCEEDED"})

    return DocumentLimits


def metered_overlapping_fields(budget: int) -> type[ASTValidationRule]:
    """OverlappingFieldsCanBeMerged with a smaller budget than graphql-core's (500,000 units, two
    per comparison of two fields: about two seconds here), refusing a document that exhausts it
    with LIMIT_EXCEEDED. Build it once: the validation cache is keyed by the rule classes."""

    class MeteredOverlappingFields(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

        def enter_selection_set(self, *args: Any) -> None:
            try:
                super().enter_selection_set(*args)
            except ValidationAbortedError:
                if self.rule_context.remaining_complexity_budget >= 0:  # too many errors: not ours
                    raise
                raise ValidationAbortedError(
                    f"Telling whether the document's fields can be merged takes more than {budget // 2}"
                    " comparisons (fields repeated, or fragments compared with the fields beside them).",
                    extensions={"code": "LIMIT_EXCEEDED"},
                ) from None

    return MeteredOverlappingFields


class LimitRules(SchemaExtension):
    """The limit rules, ahead of the standard ones so that a document over a limit ends its
    validation before any other rule visits it, and `overlapping_fields` in place of graphql-core's
    OverlappingFieldsCanBeMerged. Pass it as a factory, with rule classes built once."""

    def __init__(self, limit_rules: list[type[ASTValidationRule]], overlapping_fields: type[ASTValidationRule]) -> None:
        self.limit_rules = tuple(limit_rules)
        self.overlapping_fields = overlapping_fields

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = self.limit_rules + tuple(
            self.overlapping_fields if rule is OverlappingFieldsCanBeMergedRule else rule
            for rule in context.validation_rules
        )
        yield


__all__ = [
    "LimitRules",
    "Measure",
    "document_limits",
    "measure_operations",
    "metered_overlapping_fields",
]
