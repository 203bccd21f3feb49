package dev.spinup.controlplane.api;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.Domain;
import dev.spinup.api.v1.DomainKind;
import dev.spinup.api.v1.ListDomainsRequest;
import dev.spinup.api.v1.ListDomainsResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.DomainStore;
import dev.spinup.controlplane.store.Transactions;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** Custom domains: adding and removing one is a transition (the edge gets its new table); listing reads. */
final class DomainApi {
    private static final Pattern HOSTNAME =
            Pattern.compile("^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])$");

    private final Transactions db;
    private final LifecycleApi lifecycle;
    private final String workspaceDomain;

    DomainApi(Transactions db, LifecycleApi lifecycle, String workspaceDomain) {
        this.db = db;
        this.lifecycle = lifecycle;
        this.workspaceDomain = workspaceDomain;
    }

    Operation add(AddDomainRequest request) {
        return lifecycle.transition(
                OperationVerb.ADD_DOMAIN,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of("domain", customDomain(request.getDomain())));
    }

    Operation remove(RemoveDomainRequest request) {
        return lifecycle.transition(
                OperationVerb.REMOVE_DOMAIN,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                Map.of("domain", customDomain(request.getDomain())));
    }

    ListDomainsResponse list(ListDomainsRequest request) {
        UUID id = Requests.id("workspace_id", request.getWorkspaceId());
        int size = Requests.pageSize(request.getPageSize());
        String after = Requests.afterKey(request);
        var page = Requests.pageAt(
                db.read(tx -> {
                    if (tx.workspaces().find(id).isEmpty()) {
                        throw SpinUpException.workspaceNotFound(id);
                    }
                    return tx.domains().page(id, after, size + 1);
                }),
                size,
                DomainStore.WorkspaceDomain::domain,
                request);
        return ListDomainsResponse.newBuilder()
                .addAllDomains(page.items().stream().map(d -> toProto(id, d)).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    private static Domain toProto(UUID workspaceId, DomainStore.WorkspaceDomain d) {
        Domain.Builder b = Domain.newBuilder()
                .setDomain(d.domain())
                .setWorkspaceId(workspaceId.toString())
                .setKind(
                        "custom".equals(d.kind())
                                ? DomainKind.DOMAIN_KIND_CUSTOM
                                : DomainKind.DOMAIN_KIND_DEFAULT_SUBDOMAIN)
                .setCertState(ProtoEnums.of(CertState.class, d.certState().toUpperCase(Locale.ROOT)));
        if (d.verifiedAt() != null) {
            b.setVerifiedAt(WorkspaceProtoMapper.timestamp(d.verifiedAt()));
        }
        if (d.certIssuedAt() != null) {
            b.setCertIssuedAt(WorkspaceProtoMapper.timestamp(d.certIssuedAt()));
        }
        return b.build();
    }

    /** A custom domain: a lowercase DNS name with at least two labels, not under the workspace domain. */
    private String customDomain(String raw) {
        if (raw.length() > Requests.MAX_DOMAIN + 16) {
            throw SpinUpException.invalidField(
                    ErrorReason.DOMAIN_INVALID,
                    "domain",
                    "domain is " + raw.length() + " characters long; a DNS name has at most " + Requests.MAX_DOMAIN);
        }
        String domain = raw.trim().toLowerCase(Locale.ROOT);
        if (domain.isEmpty()) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, "domain", "domain is required");
        }
        if (!HOSTNAME.matcher(domain).matches()) {
            throw SpinUpException.invalidField(
                    ErrorReason.DOMAIN_INVALID,
                    "domain",
                    "domain \"" + Requests.printable(raw)
                            + "\" is not a DNS name (letters, digits and hyphens in dot-separated labels, e.g. shop.example.com)");
        }
        if (domain.equals(workspaceDomain) || domain.endsWith("." + workspaceDomain)) {
            throw SpinUpException.invalidField(
                    ErrorReason.DOMAIN_INVALID,
                    "domain",
                    "names under " + workspaceDomain + " belong to SpinUp; every workspace already has one");
        }
        return domain;
    }
}
