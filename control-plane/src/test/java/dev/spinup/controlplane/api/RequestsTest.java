package dev.spinup.controlplane.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestsTest {
    private static ListWorkspacesRequest list(String region, String token) {
        return ListWorkspacesRequest.newBuilder()
                .setRegion(region)
                .setPageSize(10)
                .setPageToken(token)
                .build();
    }

    @Test
    void pageTokensRoundTripAndAreOpaque() {
        UUID id = UUID.randomUUID();
        String token = Requests.pageToken(id, list("eu", ""));
        assertThat(token).doesNotContain(id.toString());
        assertThat(Requests.afterId(list("eu", token))).isEqualTo(id);
        assertThat(Requests.afterId(
                        list("eu", token).toBuilder().setPageSize(99).build()))
                .as("page_size is not a filter")
                .isEqualTo(id);
        assertThat(Requests.afterId(list("eu", ""))).isNull();
    }

    @Test
    void foreignPageTokensAreRefused() {
        SpinUpException e = catchThrowableOfType(SpinUpException.class, () -> Requests.afterId(list("eu", "djI6eHl6")));
        assertThat(e.reason()).isEqualTo(ErrorReason.PAGE_TOKEN_INVALID);
    }

    @Test
    void aTokenContinuesOnlyTheListItCameFrom() {
        String token = Requests.pageToken(UUID.randomUUID(), list("eu", ""));
        SpinUpException e = catchThrowableOfType(SpinUpException.class, () -> Requests.afterId(list("us", token)));
        assertThat(e.reason()).isEqualTo(ErrorReason.PAGE_TOKEN_FILTERS_CHANGED);
        assertThat(e.metadata()).containsEntry("field", "page_token");
    }

    @Test
    void textLimitsCountCharactersNotBytes() {
        assertThat(Requests.text("name", "é".repeat(200), true, 200)).hasSize(200);
        assertThat(catchThrowableOfType(SpinUpException.class, () -> Requests.text("name", "é".repeat(201), true, 200))
                        .metadata())
                .containsEntry("field", "name");
    }
}
