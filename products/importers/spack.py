"""Read Spack ``package.py`` recipes statically (``ast``; never imported or executed).

From a recipe we take: the package class (its name, and the docstring as description and
summary), ``homepage``, ``git`` / ``url``, maintainers (the ``maintainers(...)`` directive
or the older ``maintainers = [...]`` list; GitHub handles, kept in ``facts``), ``license()``,
``version()`` names, ``variant()`` names and ``depends_on()`` — also inside
``with when("..."):`` blocks, whose condition is combined with the directive's own ``when=``.

Dependencies are mapped to registry products by Spack package name (a product's
``spack_package``, its slug, or ``facts["spack_packages"]``) and to packages imported in the
same run; names that match nothing are reported, never invented; virtual packages (mpi,
blas, ...) are ignored.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from events import log as events
from events.validation import web_url_problem
from products import compliance_store
from products.importers.errors import ImportError_
from products.importers.progress import Progress
from products.importers.summary import Summary
from products.models import Dependency, Membership, Product
from spokes.models import Community

# Spack virtual packages (and language "virtuals"): satisfied by a provider chosen at
# concretisation time, so they name no product. Packages read in the same run may add more
# through provides().
_VIRTUAL_NAMES = """
    mpi blas lapack scalapack fftw-api lapacke cblas pkgconfig elf gl glu glx egl osmesa
    java jpeg szip uuid yacc lex zlib-api iconv tbb unwind golang rpc libllvm lua-lang
    daal ipp mkl opencl pil sycl c cxx fortran awk mpe openfoam-org-api flame-api libglx
    xxd fuse jdk flexiblas-api fortran-rt libifcore ziglang go-external
"""
VIRTUALS = frozenset(_VIRTUAL_NAMES.split())

_SPEC_NAME = re.compile(r"^\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)")


@dataclass
class SpackDependency:
    name: str
    when: str
    types: tuple[str, ...]
    line: int


@dataclass
class SpackPackage:
    path: str
    name: str  # the Spack package name (kebab-case)
    class_name: str
    line: int
    description: str = ""
    summary: str = ""
    homepage: str = ""
    git: str = ""
    url: str = ""
    license: str = ""
    maintainers: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    dependencies: list[SpackDependency] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def repository_url(self) -> str:
        if self.git:
            repository = self.git.removesuffix(".git")
            return "" if web_url_problem(repository) else repository
        return forge_repository(self.url)


def forge_repository(url: str) -> str:
    """The repository of a GitHub/GitLab/Bitbucket download URL ('' for anything else)."""
    match = re.match(
        r"^(https://(?:github\.com|gitlab\.com|bitbucket\.org)/[^/]+/[^/]+?)(?:\.git)?/", url
    )
    return match.group(1) if match and not web_url_problem(match.group(1)) else ""


def class_to_package_name(class_name: str) -> str:
    """Spack's CamelCase class name back to its kebab-case package name (SuperluDist →
    superlu-dist; _3dtk → 3dtk)."""
    name = class_name.lstrip("_")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def directory_to_package_name(directory: str) -> str:
    """A package directory to its package name: the newer spack-packages layout spells
    'superlu-dist' as 'superlu_dist' and '3dtk' as '_3dtk'."""
    return directory.lstrip("_").replace("_", "-").lower()


def first_sentence(text: str, limit: int = 500) -> str:
    paragraph = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    paragraph = " ".join(paragraph.split())
    match = re.match(r"^(.+?[.!?])(\s|$)", paragraph)
    sentence = match.group(1) if match else paragraph
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rstrip() + "…"
    return sentence


def _string(node: ast.AST | None) -> str | None:
    """A literal string (or a +-concatenation of literals); None for anything computed.

    Walked with a stack and joined once, so a long ``"a" + "a" + ...`` costs linear time and
    no recursion."""
    parts: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            parts.append(item.value)
        elif isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            stack.append(item.right)
            stack.append(item.left)
        else:
            return None
    return "".join(parts)


def _strings(node: ast.AST | None) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = [_string(e) for e in node.elts]
        return None if any(v is None for v in values) else values  # type: ignore[return-value]
    single = _string(node)
    return [single] if single is not None else None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _join_when(*conditions: str) -> str:
    return " ".join(c.strip() for c in conditions if c and c.strip())


def _is_package_class(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("Package"):
            return True
    return False


class _Reader:
    def __init__(self, package: SpackPackage) -> None:
        self.package = package

    def warn(self, node: ast.AST, message: str) -> None:
        self.package.warnings.append(f"{self.package.path}:{node.lineno}: {message}")

    def body(self, statements: list[ast.stmt], when: str) -> None:
        for stmt in statements:
            if isinstance(stmt, ast.Assign):
                self.assign(stmt)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self.directive(stmt.value, when)
            elif isinstance(stmt, ast.With):
                inner = when
                for item in stmt.items:
                    call = item.context_expr
                    if (
                        isinstance(call, ast.Call)
                        and getattr(call.func, "id", None) == "when"
                        and call.args
                    ):
                        condition = _string(call.args[0])
                        if condition is None:
                            self.warn(stmt, "a when() block with a computed condition was read")
                            condition = "<computed>"
                        inner = _join_when(inner, condition)
                self.body(stmt.body, inner)
            elif isinstance(stmt, ast.If | ast.For):
                self.body(stmt.body, when)
                self.body(stmt.orelse, when)

    def assign(self, stmt: ast.Assign) -> None:
        for target in stmt.targets:
            name = getattr(target, "id", None)
            if name in ("homepage", "url", "git"):
                value = _string(stmt.value)
                if value is not None and self._acceptable(stmt, name, value):
                    setattr(self.package, name, value)
            elif name == "maintainers":
                values = _strings(stmt.value)
                if values is None:
                    self.warn(stmt, "maintainers is not a literal list; ignored")
                else:
                    self._add_maintainers(values)

    def _acceptable(self, stmt: ast.stmt, name: str, value: str) -> bool:
        """A homepage must be a web address; so must a git URL given as http(s) (a
        ``git@``/``ssh://`` one names no repository page and is kept only as a fact)."""
        looks_web = name == "homepage" or value.lower().startswith(("http:", "https:"))
        if looks_web and web_url_problem(value):
            self.warn(stmt, f"{name} {value!r} is not an http(s) web address; ignored")
            return False
        return True

    def _add_maintainers(self, handles: list[str]) -> None:
        for handle in handles:
            if handle not in self.package.maintainers:
                self.package.maintainers.append(handle)

    def directive(self, call: ast.Call, when: str) -> None:
        handler = self.DIRECTIVES.get(getattr(call.func, "id", None))
        if handler is not None:
            handler(self, call, when)

    def maintainers_directive(self, call: ast.Call, when: str) -> None:
        values = [_string(a) for a in call.args]
        self._add_maintainers([v for v in values if v is not None])

    def license_directive(self, call: ast.Call, when: str) -> None:
        first = _first_string(call)
        if first is not None and not self.package.license:
            self.package.license = first

    def version_directive(self, call: ast.Call, when: str) -> None:
        _append_new(self.package.versions, _first_string(call))

    def variant_directive(self, call: ast.Call, when: str) -> None:
        _append_new(self.package.variants, _first_string(call))

    def provides_directive(self, call: ast.Call, when: str) -> None:
        for arg in call.args:
            match = _SPEC_NAME.match(_string(arg) or "")
            if match:
                _append_new(self.package.provides, match.group(1))

    def depends_on_directive(self, call: ast.Call, when: str) -> None:
        first = _first_string(call)
        if first is None:
            self.warn(call, "depends_on() with a computed spec; not read")
            return
        match = _SPEC_NAME.match(first)
        if not match:
            self.warn(call, f"depends_on({first!r}): no package name")
            return
        own_when = _string(_keyword(call, "when"))
        if _keyword(call, "when") is not None and own_when is None:
            self.warn(call, "depends_on() with a computed when=; treated as conditional")
            own_when = "<computed>"
        types = _strings(_keyword(call, "type")) or []
        self.package.dependencies.append(
            SpackDependency(
                name=match.group(1).lower(),
                when=_join_when(when, own_when or ""),
                types=tuple(types),
                line=call.lineno,
            )
        )

    # The directives read, by name; any other call in the class body is ignored.
    DIRECTIVES = {
        "maintainers": maintainers_directive,
        "license": license_directive,
        "version": version_directive,
        "variant": variant_directive,
        "provides": provides_directive,
        "depends_on": depends_on_directive,
    }


def _first_string(call: ast.Call) -> str | None:
    """The call's first argument when it is a literal string."""
    return _string(call.args[0]) if call.args else None


def _append_new(items: list[str], value: str | None) -> None:
    if value is not None and value not in items:
        items.append(value)


def read_package(path: str | Path, *, source: str | None = None, name: str | None = None):
    """Read one recipe. ``name`` overrides the package name (default: the directory name
    when the file is ``package.py``, else the class name in kebab-case)."""
    path = Path(path)
    display = str(path)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ImportError_(f"not UTF-8 text ({exc.reason})", file=display, line=1) from None
        except OSError as exc:
            raise ImportError_(f"cannot read the file: {exc.strerror}", file=display) from None
    try:
        tree = ast.parse(source, filename=display)
    except SyntaxError as exc:
        raise ImportError_(
            f"not valid Python: {exc.msg}", file=display, line=exc.lineno, column=exc.offset
        ) from None
    except (RecursionError, MemoryError):
        # Python's parser gives up on an expression nested (or chained) too deeply.
        raise ImportError_(
            "an expression is too deeply nested to read", file=display, line=1, column=1
        ) from None
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    cls = next((c for c in classes if _is_package_class(c)), classes[0] if classes else None)
    if cls is None:
        raise ImportError_("no package class found", file=display, line=1, column=1)
    if name is None:
        if path.name == "package.py" and path.parent.name:
            name = directory_to_package_name(path.parent.name)
        else:
            name = class_to_package_name(cls.name)
    package = SpackPackage(path=display, name=name, class_name=cls.name, line=cls.lineno)
    doc = ast.get_docstring(cls, clean=True) or ""
    package.description = inspect.cleandoc(doc) if doc else ""
    package.summary = first_sentence(doc) if doc else ""
    _Reader(package).body(cls.body, "")
    return package


def find_package_files(path: str | Path) -> list[Path]:
    """A recipe file, or every ``*/package.py`` below a directory (sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImportError_("no such file or directory", file=str(path))
    files = sorted(path.rglob("package.py"))
    if not files:
        raise ImportError_("no package.py files found below this directory", file=str(path))
    return files


def read_packages(paths: list[Path], progress: Progress) -> list[SpackPackage]:
    """Read every recipe; collect every file that does not parse, then raise once."""
    packages, problems = [], []
    progress.start("reading packages", len(paths))
    for path in paths:
        try:
            packages.append(read_package(path))
        except ImportError_ as exc:
            problems.extend(exc.errors)
        progress.advance()
    progress.finish()
    if problems:
        raise ImportError_(errors=problems)
    return packages


def _spack_names(product: Product) -> list[str]:
    """The Spack package names a product claims: its ``spack_package`` and its
    ``facts["spack_packages"]``, lower-cased."""
    names = [product.spack_package, *((product.facts or {}).get("spack_packages") or [])]
    return [n.lower() for n in names if isinstance(n, str) and n]


def _spack_index() -> dict[str, Product]:
    """Registry products by every Spack package name they answer to, for dependencies: a
    slug first, so a name some product claims never hides the product of that slug."""
    products = list(Product.objects.only("id", "slug", "spack_package", "facts"))
    index: dict[str, Product] = {p.slug: p for p in products}
    for product in products:
        for n in _spack_names(product):
            index.setdefault(n, product)
    return index


def resolve_product(name: str) -> Product | None:
    """The registry product a recipe named ``name`` writes (None: a new product ``name``).

    The one rule for the permission check and the write: the product whose slug is the
    package name; failing that, the one active member of a community that claims the name
    (``spack_package`` or ``facts["spack_packages"]``). Any signed-in user may set
    ``spack_package`` on their own product, so a claim counts only once an approved onramp
    has vetted the product; several such claims answer none rather than one at random.
    """
    product = Product.objects.filter(slug=name).first()
    if product is not None:
        return product
    members = (
        Product.objects.filter(memberships__state=Membership.State.ACTIVE)
        .distinct()
        .only("id", "slug", "spack_package", "facts")
    )
    claims = [p for p in members if name.lower() in _spack_names(p)]
    return claims[0] if len(claims) == 1 else None


def import_packages(
    packages: list[SpackPackage],
    *,
    community: str | None = None,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Upsert a product per recipe, its Spack dependencies, and (with ``community``) an
    active membership. One transaction; rolled back on a dry run."""
    progress = progress or Progress.silent()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    summary = Summary(kind="spack", dry_run=dry_run)
    summary.ensure("products", "dependencies")
    with transaction.atomic(), compliance_store.deferred():
        target = _target_community(community, packages, summary)
        index = _spack_index()
        virtuals = set(VIRTUALS)
        for package in packages:
            virtuals.update(package.provides)
        products = _upsert_products(packages, index, summary, actor, progress)
        for package in packages:
            _sync_dependencies(package, products[package.name], index, virtuals, summary, actor)
            if target is not None:
                _ensure_membership(products[package.name], target, summary, actor)
        if dry_run:
            transaction.set_rollback(True)
        else:
            events.record(
                events.Verb.CATALOG_IMPORTED,
                actor=actor,
                community=target,
                product=products[packages[0].name] if len(packages) == 1 else None,
                data={
                    "kind": "spack",
                    "files": [p.path for p in packages][:50],
                    "changes": summary.changes,
                },
            )
    return summary


def _target_community(
    community: str | None, packages: list[SpackPackage], summary: Summary
) -> Community | None:
    """The community the products join (None: they join none)."""
    if community is None:
        return None
    target = Community.objects.filter(slug=community).first()
    if target is None:
        raise ImportError_(f"no community {community!r}", file=packages[0].path)
    summary.ensure("memberships")
    return target


def _upsert_products(
    packages: list[SpackPackage], index: dict[str, Product], summary: Summary, actor, progress
) -> dict[str, Product]:
    """A product per recipe, by package name; each joins ``index`` as it is written."""
    products: dict[str, Product] = {}
    progress.start("packages", len(packages))
    for package in packages:
        products[package.name] = _upsert_product(package, summary, actor)
        index[package.name] = products[package.name]
        summary.warnings.extend(package.warnings)
        progress.advance()
    progress.finish()
    return products


def _upsert_product(package: SpackPackage, summary: Summary, actor) -> Product:
    product = resolve_product(package.name)
    values = _recipe_values(package)
    facts = _recipe_facts(package)
    if product is None:
        product = Product(slug=package.name, facts=facts)
        for attr, value in values.items():
            setattr(product, attr, value)
        product._history_user = actor
        product.save()
        summary.count("products", "created", product.slug)
        return product
    product = Product.objects.get(pk=product.pk)
    filled = _fill_gaps(product, values, summary)
    facts_changed = _merge_facts(product, facts)
    if filled or facts_changed:
        product._history_user = actor
        product.save()
    summary.count("products", "updated" if filled or facts_changed else "unchanged", product.slug)
    return product


def _recipe_values(package: SpackPackage) -> dict[str, str]:
    """The product fields a recipe gives."""
    return {
        "name": package.class_name,
        "spack_package": package.name,
        "description": package.description,
        "summary": package.summary,
        "homepage": package.homepage,
        "repository_url": package.repository_url,
        "license": package.license,
    }


def _recipe_facts(package: SpackPackage) -> dict:
    """The facts a recipe gives (kept in ``Product.facts``)."""
    facts: dict = {
        "spack_versions": package.versions,
        "spack_maintainers": package.maintainers,
        "spack_variants": package.variants,
    }
    if package.url:
        facts["spack_url"] = package.url
    if package.license:
        facts["spack_license"] = package.license
    return facts


def _fill_gaps(product: Product, values: dict[str, str], summary: Summary) -> list[str]:
    """Set the recipe's values the product lacks; return the fields set.

    The recipe fills gaps; it never overwrites what the registry already says (and says so
    when they disagree on the homepage, repository or license).
    """
    filled = []
    for attr, value in values.items():
        if attr == "name" or not value:
            continue
        current = getattr(product, attr)
        if not current:
            setattr(product, attr, value)
            filled.append(attr)
        elif current != value and attr in ("homepage", "repository_url", "license"):
            summary.warnings.append(
                f"{product.slug}: kept the registry's {attr} {current!r} "
                f"(the recipe says {value!r})"
            )
    return filled


def _merge_facts(product: Product, recipe_facts: dict) -> bool:
    """Write the recipe's facts over the product's own; return whether any changed."""
    facts = dict(product.facts or {})
    changed = False
    for key, value in recipe_facts.items():
        if facts.get(key) != value:
            facts[key] = value
            changed = True
    product.facts = facts
    return changed


@dataclass
class _WantedDependency:
    """What a recipe's depends_on() calls on one product add up to."""

    target: Product
    whens: list[str] = field(default_factory=list)
    unconditional: bool = False
    types: set[str] = field(default_factory=set)

    def add(self, dep: SpackDependency) -> None:
        if not dep.when:
            self.unconditional = True
        elif dep.when not in self.whens:
            self.whens.append(dep.when)
        self.types.update(dep.types)

    def values(self) -> tuple[str, str, str]:
        """The registry dependency's kind, when and note."""
        if self.unconditional:
            kind, when = Dependency.Kind.REQUIRED, ""
        else:
            kind, when = Dependency.Kind.OPTIONAL, " or ".join(self.whens)
        note = f"type: {', '.join(sorted(self.types))}" if self.types else ""
        return kind, when, note


def _sync_dependencies(package, product, index, virtuals, summary: Summary, actor) -> None:
    """Make the product's Spack dependencies those of its recipe (others stay as they are)."""
    wanted = _wanted_dependencies(package, product, index, virtuals, summary)
    existing = {d.depends_on_id: d for d in Dependency.objects.filter(product=product)}
    for target_id, entry in wanted.items():
        _write_dependency(product, target_id, entry, existing.get(target_id), summary, actor)
    stale = [
        d for t, d in existing.items() if t not in wanted and d.source == Dependency.Source.SPACK
    ]
    for dep in stale:
        summary.warnings.append(
            f"{product.slug}: removed the Spack dependency on {dep.depends_on.slug} "
            "(no longer in the recipe)"
        )
        dep._history_user = actor
        dep.delete()


def _wanted_dependencies(
    package, product, index, virtuals, summary: Summary
) -> dict[int, _WantedDependency]:
    """The recipe's dependencies by registry product; each unknown name reported once."""
    wanted: dict[int, _WantedDependency] = {}
    reported: set[str] = set()
    for dep in package.dependencies:
        if dep.name in virtuals:
            continue
        target = index.get(dep.name)
        if target is None:
            if dep.name not in reported:
                reported.add(dep.name)
                summary.unplaced.append(
                    {
                        "file": package.path,
                        "line": dep.line,
                        "reason": f"{package.name} depends on {dep.name!r}, "
                        "which is not in the registry",
                    }
                )
            continue
        if target.pk != product.pk:
            wanted.setdefault(target.pk, _WantedDependency(target)).add(dep)
    return wanted


def _write_dependency(
    product: Product,
    target_id: int,
    entry: _WantedDependency,
    dep: Dependency | None,
    summary: Summary,
    actor,
) -> None:
    kind, when, note = entry.values()
    label = f"{product.slug} → {entry.target.slug}"
    if dep is None:
        dep = Dependency(
            product=product,
            depends_on_id=target_id,
            kind=kind,
            when=when,
            note=note,
            source=Dependency.Source.SPACK,
        )
        dep._history_user = actor
        dep.save()
        summary.count("dependencies", "created", label)
    elif dep.source != Dependency.Source.SPACK:
        # Entered by hand or imported: the registry's word stands.
        summary.count("dependencies", "unchanged", label)
    elif (dep.kind, dep.when, dep.note) != (kind, when, note):
        dep.kind, dep.when, dep.note = kind, when, note
        dep._history_user = actor
        dep.save(update_fields=["kind", "when", "note"])
        summary.count("dependencies", "updated", label)
    else:
        summary.count("dependencies", "unchanged", label)


def _ensure_membership(product, community, summary: Summary, actor) -> None:
    label = f"{product.slug} in {community.slug}"
    if Membership.objects.filter(product=product, community=community, state="active").exists():
        summary.count("memberships", "unchanged", label)
        return
    membership = Membership(
        product=product,
        community=community,
        state=Membership.State.ACTIVE,
        joined_at=timezone.localdate(),
        source="import (Spack recipe)",
    )
    membership._history_user = actor
    membership.save()
    summary.count("memberships", "created", label)
