package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A class that needs a second reason to change is two classes: past ~300 lines look for the seam,
 * and no source file of the control plane or the host agent is over 400 lines unless its first
 * lines say why ({@code Over 400 lines because …}).
 */
class SourceSizeTest {
    @ParameterizedTest
    @ValueSource(strings = {"control-plane", "host-agent"})
    void noSourceFileIsOver400LinesWithoutAReason(String module) throws IOException {
        Path sources = Path.of("..", module, "src", "main", "java");
        assertThat(sources).isDirectory();
        List<String> tooLong;
        try (Stream<Path> files = Files.walk(sources)) {
            tooLong = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(SourceSizeTest::overWithoutReason)
                    .map(Path::toString)
                    .toList();
        }
        assertThat(tooLong).as("source files over 400 lines").isEmpty();
    }

    private static boolean overWithoutReason(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.size() > 400 && lines.stream().limit(60).noneMatch(l -> l.contains("Over 400 lines because"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
