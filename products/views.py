"""HTML pages for products and lifecycle requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from products.models import Product


def catalog(request: HttpRequest) -> HttpResponse:
    products = Product.objects.for_list()
    return render(request, "products/catalog.html", {"products": products})


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.for_list(), slug=slug)
    return render(request, "products/product_detail.html", {"product": product})
