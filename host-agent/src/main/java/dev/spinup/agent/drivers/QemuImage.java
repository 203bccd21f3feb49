package dev.spinup.agent.drivers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The qemu driver's image, built (or found in its content-hash cache) by vm-base-config/build-image.sh
 * of the checkout the caller runs in: for tests, benchmarks and dev mode. Hosts in production are
 * given a built image directory (--vm-image).
 */
public final class QemuImage {
    private QemuImage() {}

    /** The project templates a built image carries (its {@code image.properties}). */
    static Set<String> templates(Path image) {
        return Set.of(properties(image).getProperty("templates", "starter").split(","));
    }

    /** Whether the image's guest runs the IDE beside the app (images built before it had one do not). */
    static boolean hasIde(Path image) {
        return properties(image).containsKey("ide");
    }

    private static Properties properties(Path image) {
        Path properties = image.resolve("image.properties");
        if (!Files.exists(properties)) {
            throw new IllegalArgumentException(image
                    + " is not a built image (no image.properties): build one with vm-base-config/build-image.sh");
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(properties)) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + properties, e);
        }
        return p;
    }

    /** Runs the build script of the checkout these tests run in; returns the image directory it printed. */
    public static Path buildFromCheckout() {
        Path script = repositoryRoot().resolve("vm-base-config/build-image.sh");
        try {
            // its progress (stderr) and the image directory (the last line of stdout), together
            Process build = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!build.waitFor(10, TimeUnit.MINUTES) || build.exitValue() != 0) {
                throw new IllegalStateException(script + " failed (exit " + build.exitValue() + "): " + out);
            }
            String[] lines = out.split("\n");
            return Path.of(lines[lines.length - 1]);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("vm-base-config/build-image.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("not inside a SpinUp checkout: no vm-base-config/build-image.sh above "
                + Path.of("").toAbsolutePath());
    }
}
