from spack.package import *


class Broken(CMakePackage):
    """A recipe with a syntax error on line 9."""

    homepage = "https://broken.example.org"

    version("1.0", sha256="abc"
    depends_on("mpi")
