package dev.spinup.testing;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The (verb, step, kill point) cases of a crash table; {@code -Dspinup.crash.verbs=create,...} keeps only those verbs. */
final class CrashCases {
    private CrashCases() {}

    static Stream<Arguments> of(Map<String, List<String>> stepsByVerb, List<String> points) {
        String only = System.getProperty("spinup.crash.verbs", "");
        return stepsByVerb.entrySet().stream()
                .filter(e -> only.isEmpty() || List.of(only.split(",")).contains(e.getKey()))
                .flatMap(e -> e.getValue().stream()
                        .flatMap(step -> points.stream().map(point -> Arguments.of(e.getKey(), step, point))));
    }
}
