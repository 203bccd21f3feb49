package dev.spinup.agent.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The small parsing the verifier does on what Caddy hands it. */
class AccessVerifierTest {
    @Test
    void theRedirectKeepsEverythingButTheGrant() {
        assertThat(AccessVerifier.withoutParameter("/?spinup_grant=g1.a.b.c", "spinup_grant"))
                .isEqualTo("/");
        assertThat(AccessVerifier.withoutParameter("/src/app.js?x=1&spinup_grant=g&y=2", "spinup_grant"))
                .isEqualTo("/src/app.js?x=1&y=2");
        assertThat(AccessVerifier.withoutParameter("/a?spinup_grantee=1", "spinup_grant"))
                .as("another parameter that only starts with the name")
                .isEqualTo("/a?spinup_grantee=1");
        assertThat(AccessVerifier.withoutParameter("/plain", "spinup_grant")).isEqualTo("/plain");
    }

    @Test
    void parametersAndCookiesAreFoundByTheirExactName() {
        assertThat(AccessVerifier.queryParameter("/?a=1&spinup_grant=g1.x%2By", "spinup_grant"))
                .isEqualTo("g1.x+y");
        assertThat(AccessVerifier.queryParameter("/?spinup_grantee=1", "spinup_grant"))
                .isNull();
        assertThat(AccessVerifier.cookie("theme=dark; spinup_session=s1.a.b; x=y", "spinup_session"))
                .isEqualTo("s1.a.b");
        assertThat(AccessVerifier.cookie("my_spinup_session=1", "spinup_session"))
                .isNull();
        assertThat(AccessVerifier.cookie(null, "spinup_session")).isNull();
    }
}
