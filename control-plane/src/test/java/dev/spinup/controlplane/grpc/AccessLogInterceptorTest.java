package dev.spinup.controlplane.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import org.junit.jupiter.api.Test;

class AccessLogInterceptorTest {
    @Test
    void credentialsAreRedactedWhateverTheirCase() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer spn_secret");
        headers.put(Metadata.Key.of("x-request-source", Metadata.ASCII_STRING_MARSHALLER), "frontpage");

        String logged = AccessLogInterceptor.redact(headers);

        assertThat(logged)
                .doesNotContain("spn_secret")
                .contains("authorization=[REDACTED]")
                .contains("x-request-source=frontpage");
    }
}
