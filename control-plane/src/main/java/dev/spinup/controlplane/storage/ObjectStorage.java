package dev.spinup.controlplane.storage;

import static java.util.Objects.requireNonNull;

import dev.spinup.controlplane.store.SnapshotObjects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Snapshot objects in S3 or any S3-compatible store, through the AWS SDK v2 (endpoint override and
 * path-style addressing for non-AWS stores). Hosts get presigned URLs and hold no credentials.
 */
public final class ObjectStorage implements SnapshotObjects, AutoCloseable {
    /**
     * @param endpoint  null for AWS itself
     * @param accessKey null to use the AWS default credentials chain
     */
    public record Config(URI endpoint, String region, String bucket, String accessKey, String secretKey) {
        public Config {
            requireNonNull(region, "region");
            requireNonNull(bucket, "bucket");
        }
    }

    /** What object storage holds: size and SHA-256, read back in full. */
    private final Config config;

    private final S3Client s3;
    private final S3Presigner presigner;

    public ObjectStorage(Config config) {
        this.config = config;
        AwsCredentialsProvider credentials =
                dev.spinup.controlplane.aws.AwsCredentials.of(config.accessKey(), config.secretKey());
        S3Configuration s3Config = S3Configuration.builder()
                .pathStyleAccessEnabled(config.endpoint() != null)
                .build();
        var builder = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3Config)
                // S3-compatible stores do not all speak the SDK's newer default checksums.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        var presignerBuilder = S3Presigner.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3Config);
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
            presignerBuilder.endpointOverride(config.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presignerBuilder.build();
    }

    @Override
    public String bucket() {
        return config.bucket();
    }

    @Override
    public String uri(String key) {
        return "s3://" + config.bucket() + "/" + key;
    }

    /** The key of an object given by {@link #uri}; refuses URIs of another bucket. */
    @Override
    public String keyOf(String uri) {
        String prefix = "s3://" + config.bucket() + "/";
        if (!uri.startsWith(prefix)) {
            throw new IllegalArgumentException(uri + " is not in bucket " + config.bucket());
        }
        return uri.substring(prefix.length());
    }

    @Override
    public URL presignPut(String key, Duration ttl) {
        return presigner
                .presignPutObject(r -> r.signatureDuration(ttl)
                        .putObjectRequest(p -> p.bucket(config.bucket()).key(key)))
                .url();
    }

    @Override
    public URL presignGet(String key, Duration ttl) {
        return presigner
                .presignGetObject(r -> r.signatureDuration(ttl)
                        .getObjectRequest(g -> g.bucket(config.bucket()).key(key)))
                .url();
    }

    /** Reads the whole object back, streaming, and returns its size and SHA-256. */
    @Override
    public Stored read(String key) {
        MessageDigest digest = sha256();
        long size = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = s3.getObject(
                GetObjectRequest.builder().bucket(config.bucket()).key(key).build())) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                size += n;
            }
        } catch (NoSuchKeyException e) {
            return new Stored(-1, "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri(key), e);
        }
        return new Stored(size, HexFormat.of().formatHex(digest.digest()));
    }

    /** Deletes the object; deleting one that is gone is not an error. */
    @Override
    public void delete(String key) {
        s3.deleteObject(d -> d.bucket(config.bucket()).key(key));
    }

    /**
     * Every object whose key starts with {@code prefix}, a page (up to 1,000) at a time. Folder
     * placeholders (keys ending in "/", which some S3-compatible stores list) are left out: SpinUp
     * writes none.
     */
    @Override
    public void list(String prefix, Consumer<List<Listed>> page) {
        for (ListObjectsV2Response response :
                s3.listObjectsV2Paginator(r -> r.bucket(config.bucket()).prefix(prefix))) {
            page.accept(response.contents().stream()
                    .filter(o -> !o.key().endsWith("/"))
                    .map(o -> new Listed(o.key(), o.lastModified(), o.size() == null ? 0 : o.size()))
                    .toList());
        }
    }

    /** Deletes every object whose key starts with {@code prefix}; returns how many there were. */
    @Override
    public int deletePrefix(String prefix) {
        int[] deleted = {0};
        list(
                prefix,
                page -> page.forEach(o -> {
                    delete(o.key());
                    deleted[0]++;
                }));
        return deleted[0];
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }
}
