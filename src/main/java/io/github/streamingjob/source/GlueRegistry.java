package io.github.streamingjob.source;

import java.io.Serializable;
import java.net.URI;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.GlueClientBuilder;
import software.amazon.awssdk.services.glue.model.EntityNotFoundException;

/**
 * Where an {@code avro-glue} topic's schemas live: a region (else the runtime's) and, rarely, an endpoint (a VPC
 * endpoint, or a stand-in in tests). Credentials are the runtime's: on Managed Flink the application's IAM role.
 */
final class GlueRegistry implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String region;
  private final String endpoint;

  GlueRegistry(String region, String endpoint) {
    this.region = region;
    this.endpoint = endpoint;
  }

  /** A client of its own per caller; the URL-connection HTTP client, as one of the two the JAR carries must be named. */
  GlueClient client() {
    GlueClientBuilder b = GlueClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder());
    if (region != null) {
      b.region(Region.of(region));
    }
    if (endpoint != null) {
      b.endpointOverride(URI.create(endpoint));
    }
    return b.build();
  }

  /** For messages: the registry's region, as configured (the runtime's when none is). */
  String describe(String registryName) {
    return "the Glue schema registry '" + registryName + "'" + (region == null ? "" : " in " + region)
        + (endpoint == null ? "" : " at " + endpoint);
  }

  /**
   * Whether Glue failed to answer (unreachable, throttling, refusing the role), not the record: a schema version Glue
   * does not hold is the record's fault, and it goes to dead letters.
   */
  static boolean unavailable(SdkException e) {
    return !(e instanceof EntityNotFoundException);
  }
}
