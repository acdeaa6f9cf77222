# Copyright Spack Project Developers. See COPYRIGHT file for details.
#
# SPDX-License-Identifier: (Apache-2.0 OR MIT)

from spack_repo.builtin.build_systems.cmake import CMakePackage

from spack.package import *


class SuperluDist(CMakePackage):
    """A general purpose library for the direct solution of large, sparse, nonsymmetric
    systems of linear equations on distributed-memory machines."""

    homepage = "https://portal.nersc.gov/project/sparse/superlu/"
    url = "https://github.com/xiaoyeli/superlu_dist/archive/refs/tags/v9.1.0.tar.gz"
    git = "https://github.com/xiaoyeli/superlu_dist.git"

    maintainers = ["xiaoye", "gchavez2", "pghysels"]

    license("BSD-3-Clause-LBNL")

    version("develop", branch="master")
    version("9.1.0", sha256="1cb2c6dc7e8231b2ec30c1266e55e440ffca9f55527771d8df28f900dd179f9d")
    version("8.2.1", sha256="b77d065cafa6bc1a1dcc15bf23fd854f54b05762b165badcffc195835ad2bddf")

    variant("int64", default=False, description="Build with 64 bit integers")
    variant("openmp", default=False, description="Build with OpenMP support")

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("mpi")
    depends_on("blas")
    depends_on("lapack")
    depends_on("parmetis +int64", when="+int64")
    depends_on("parmetis ~int64", when="~int64")
    depends_on("metis@5:")

    def cmake_args(self):
        return [self.define_from_variant("XSDK_INDEX_SIZE", "int64")]
