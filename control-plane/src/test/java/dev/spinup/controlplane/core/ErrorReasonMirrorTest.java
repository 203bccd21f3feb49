package dev.spinup.controlplane.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The domain's reasons are the API's, value for value: the gRPC edge maps one to the other by name
 * (the proto's carry the ERROR_REASON_ prefix buf lint asks for).
 */
class ErrorReasonMirrorTest {
    @Test
    void everyApiReasonHasADomainReasonOfTheSameNameAndNoMore() {
        List<String> api = Arrays.stream(dev.spinup.api.v1.ErrorReason.values())
                .filter(r -> r != dev.spinup.api.v1.ErrorReason.ERROR_REASON_UNSPECIFIED
                        && r != dev.spinup.api.v1.ErrorReason.UNRECOGNIZED)
                .map(r -> r.name().substring("ERROR_REASON_".length()))
                .toList();
        List<String> domain =
                Arrays.stream(ErrorReason.values()).map(Enum::name).toList();
        assertThat(domain).containsExactlyElementsOf(api);
    }
}
