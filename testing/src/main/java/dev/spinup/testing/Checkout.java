package dev.spinup.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The SpinUp checkout the tests run in, for its scripts and files. */
public final class Checkout {
    private Checkout() {}

    /** The nearest folder above the working directory that holds the reactor's pom and vm-base-config. */
    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("vm-base-config/build-image.sh")) && Files.exists(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "not inside a SpinUp checkout: " + Path.of("").toAbsolutePath());
    }
}
