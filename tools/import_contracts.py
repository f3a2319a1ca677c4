"""An import-linter contract that import-linter does not ship: no import cycle may span two apps.

The layers and forbidden contracts in `pyproject.toml` say which *kinds* of module may import
which. This one says something they cannot: however the kinds are arranged, no chain of imports
leaves an app and comes back to it. Cycles inside one app (a view module and its sibling
view module) are the app's own business; a cycle between apps means neither can be understood,
tested or moved without the other.

The graph is grimp's, which reads every `import` statement in a module, function-local ones
included, so an import tucked into a function body to dodge the direction still counts.
Imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def app_of(module: str, depth: int) -> str:
    """`apps.projects.services.partners` → `apps.projects` at depth 2."""
    return ".".join(module.split(".")[:depth])


def strongly_connected_components(
    nodes: Iterable[str], successors: Mapping[str, Iterable[str]]
) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the module graph is deep enough to hit Python's
    recursion limit with the recursive form)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(successors.get(root, ()))))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = lowlink[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def cross_app_cycles(
    modules: Iterable[str], successors: Mapping[str, Iterable[str]], depth: int
) -> list[list[str]]:
    """Every strongly connected component whose modules belong to more than one app: each
    such component holds at least one cycle through two apps (and every such cycle lies in
    one of them)."""
    return [
        component
        for component in strongly_connected_components(modules, successors)
        if len({app_of(module, depth) for module in component}) > 1
    ]


def shortest_cycle_through(component: list[str], successors: Mapping[str, Iterable[str]]):
    """One short cycle inside `component`, to show a reader where to cut."""
    inside = set(component)
    start = component[0]
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(successors.get(node, ())):
            if child not in inside:
                continue
            if child == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return [start]


class NoCrossAppCyclesContract(Contract):
    """No import cycle among the modules under `containers` may touch two of their apps.

    Options:
        - containers: the packages whose direct children are the apps (e.g. `apps`).
        - ignore_imports, unmatched_ignore_imports_alerting: as in import-linter's own contracts.
    """

    type_name = "no_cross_app_cycles"

    containers = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[attr-defined]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[attr-defined]
        )
        cycles = []
        for container in self.containers:  # type: ignore[attr-defined]
            modules = {m for m in graph.modules if m == container or m.startswith(container + ".")}
            successors = {
                m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules}
                for m in modules
            }
            depth = container.count(".") + 2
            for component in cross_app_cycles(modules, successors, depth):
                cycles.append(
                    {
                        "apps": sorted({app_of(m, depth) for m in component}),
                        "size": len(component),
                        "example": shortest_cycle_through(component, successors),
                    }
                )
        return ContractCheck(
            kept=not cycles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"cycles": cycles},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(
                f"{cycle['size']} modules of {', '.join(cycle['apps'])} import each other in a "
                "circle, for example:",
                bold=True,
            )
            for module in cycle["example"]:
                output.indent_cursor()
                output.print_error(module)
            output.new_line()
