package dev.spinup.controlplane.auth;

import io.grpc.Context;
import java.util.Set;

/** Who is calling: an API token's name and scopes. */
public record Principal(String tokenName, Set<String> scopes) {
    public static final String SCOPE_WORKSPACES = "workspaces";
    public static final String SCOPE_ADMIN = "admin";
    static final Context.Key<Principal> KEY = Context.key("spinup-principal");

    public Principal {
        scopes = Set.copyOf(scopes);
    }

    public static Principal current() {
        Principal p = KEY.get();
        if (p == null) {
            throw new IllegalStateException("no principal in this context");
        }
        return p;
    }

    /** The audit actor: admin-scoped tokens act as admin:<name>, others as api:<name>. */
    public String actor() {
        return (scopes.contains(SCOPE_ADMIN) ? "admin:" : "api:") + tokenName;
    }
}
