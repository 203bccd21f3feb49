package dev.spinup.controlplane.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestsTest {
    @Test
    void pageTokensRoundTripAndAreOpaque() {
        UUID id = UUID.randomUUID();
        String token = Requests.pageToken(id);
        assertThat(token).doesNotContain(id.toString());
        assertThat(Requests.afterId(token)).isEqualTo(id);
        assertThat(Requests.afterId("")).isNull();
    }

    @Test
    void foreignPageTokensAreRefused() {
        SpinUpException e = catchThrowableOfType(SpinUpException.class, () -> Requests.afterId("djI6eHl6"));
        assertThat(e.reason()).isEqualTo(ErrorReason.PAGE_TOKEN_INVALID);
    }

    @Test
    void textLimitsCountCharactersNotBytes() {
        assertThat(Requests.text("name", "é".repeat(200), true, 200)).hasSize(200);
        assertThat(catchThrowableOfType(SpinUpException.class, () -> Requests.text("name", "é".repeat(201), true, 200))
                        .metadata())
                .containsEntry("field", "name");
    }
}
