package dev.spinup.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A benchmark's working directory (certificates, object storage, logs), removed when the JVM exits. */
final class ScratchDir {
    private ScratchDir() {}

    static Path create(String scenario) throws IOException {
        Path dir = Files.createTempDirectory("spinup-bench-" + scenario);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
        return dir;
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: it is in the temp folder
        }
    }
}
