"""The product page's upload of an xSDK policy-compatibility file.

The same importer (``products.importers.xsdk_compat``), permission rule
(``products.access.compat_import_refusal``), size limit and reading
(``imports_api.read_upload``) as ``POST /api/v1/imports/`` with ``kind=xsdk_compat``.
Who may import is asked before the upload is read: the view is exempt from the CSRF
middleware, whose check parses the body, and makes that check itself once the user may
import and the declared size is within the limit. A bad file is rejected whole, with its
file, line and reason, and nothing is written.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt

from products import access as product_access
from products import imports_api
from products.forms import CompatImportForm
from products.importers import xsdk_compat
from products.importers.errors import ImportError_
from products.importers.summary import Summary
from products.models import Product

KIND = "xsdk_compat"
LIMIT = imports_api.MAX_UPLOAD[KIND]


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """The CSRF middleware's own check (it reads the form, so the upload too)."""
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, None, (), {})


@csrf_exempt  # checked in the view, after the permission: see the module's docstring
@login_required
def compat_import(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product, slug=slug)
    refusal = product_access.compat_import_refusal(request.user, product)
    if refusal is not None:
        raise PermissionDenied(refusal)
    if request.method != "POST":
        return _render(request, product, CompatImportForm())
    if imports_api.declared_size(request) > LIMIT + imports_api.FORM_OVERHEAD:
        too_large = f"The file is too large: at most {imports_api.size_text(LIMIT)}."
        return _render(request, product, CompatImportForm(), refusal=too_large, status=413)
    if (refused := _csrf_refusal(request)) is not None:
        return refused
    form = CompatImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, product, form, status=400)
    data = form.cleaned_data
    try:
        text, filename = imports_api.read_upload(data["file"], KIND)
        summary = xsdk_compat.import_compat(
            text,
            filename=filename,
            product=product.slug,
            evidence_url=data["evidence_url"],
            actor=request.user,
            dry_run=data["dry_run"],
        )
    except ImportError_ as exc:
        return _render(request, product, form, problems=exc.errors, status=400)
    if data["dry_run"]:
        return _render(request, product, form, summary=summary, filename=filename)
    _report(request, summary, filename)
    return redirect(f"{product.get_absolute_url()}#compliance-h")


def _report(request: HttpRequest, summary: Summary, filename: str) -> None:
    counts = summary.changes.get("assessments", {})
    messages.success(
        request,
        f"Imported {filename} (xSDK {summary.numbering} numbering): "
        f"{counts.get('created', 0)} assessments created, {counts.get('updated', 0)} updated, "
        f"{counts.get('unchanged', 0)} unchanged.",
    )
    for row in [*summary.unplaced, *summary.skipped]:
        messages.warning(request, f"{filename}:{row['line']}: not imported: {row['reason']}.")
    for warning in summary.warnings:
        messages.warning(request, warning)


def _render(
    request: HttpRequest,
    product: Product,
    form: CompatImportForm,
    *,
    problems=(),
    refusal: str = "",
    summary: Summary | None = None,
    filename: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "product": product,
        "form": form,
        "problems": problems,
        "refusal": refusal,
        "summary": summary,
        "filename": filename,
        "limit": imports_api.size_text(LIMIT),
    }
    return render(request, "products/compat_import_form.html", context, status=status)
