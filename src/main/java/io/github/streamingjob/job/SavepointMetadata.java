package io.github.streamingjob.job;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.UnsupportedFileSystemSchemeException;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.io.FileIO;

/**
 * What a savepoint (or retained checkpoint) holds, operator by operator, read from its {@code _metadata} with
 * Flink's own reader. Only the metadata is read, never the state itself.
 */
public final class SavepointMetadata {
  static final String METADATA = "_metadata";

  private final String path;
  private final long checkpointId;
  private final Map<OperatorID, Held> operators;

  /** What one operator has in the savepoint. */
  public static final class Held {
    final boolean keyed;
    final boolean coordinator;
    final boolean other;
    final long bytes;

    Held(OperatorState s) {
      boolean k = false;
      boolean o = false;
      for (OperatorSubtaskState sub : s.getStates()) {
        k |= sub.getManagedKeyedState().hasState() || sub.getRawKeyedState().hasState();
        o |= sub.hasState() && !(sub.getManagedKeyedState().hasState() || sub.getRawKeyedState().hasState());
      }
      this.keyed = k;
      this.coordinator = s.getCoordinatorState() != null;
      this.other = o;
      this.bytes = s.getStateSize();
    }

    /** What Flink refuses to leave behind without allowNonRestoredState. */
    public boolean hasState() {
      return keyed || coordinator || other;
    }

    @Override
    public String toString() {
      return (keyed ? "keyed state" : coordinator ? "source position" : other ? "operator state" : "no state")
          + (hasState() ? ", " + bytes + " bytes" : "");
    }
  }

  private SavepointMetadata(String path, long checkpointId, Map<OperatorID, Held> operators) {
    this.path = path;
    this.checkpointId = checkpointId;
    this.operators = Collections.unmodifiableMap(operators);
  }

  /**
   * Reads the metadata of the savepoint at {@code path} (its directory or its {@code _metadata} file): a local path,
   * any file system Flink has (as on a cluster or Managed Flink), or {@code s3://} through Iceberg's S3FileIO with
   * the catalog's S3 settings ({@code catalogProperties}), as this job reaches S3 anyway.
   */
  public static SavepointMetadata load(String path, Map<String, String> catalogProperties) {
    String dir = path.endsWith("/" + METADATA) ? path.substring(0, path.length() - METADATA.length() - 1)
        : path.replaceAll("/+$", "");
    String file = dir + "/" + METADATA;
    try {
      Path local = Files.createTempDirectory("savepoint-metadata");
      try {
        // Flink resolves the savepoint's relative state handles against the directory it reads from: a local copy
        // of the metadata alone is enough, as no state is read.
        try (InputStream in = open(file, catalogProperties)) {
          Files.copy(in, local.resolve(METADATA));
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
            Files.newInputStream(local.resolve(METADATA))))) {
          CheckpointMetadata m = Checkpoints.loadCheckpointMetadata(in, SavepointMetadata.class.getClassLoader(),
              local.toString());
          Map<OperatorID, Held> held = new LinkedHashMap<>();
          m.getOperatorStates().forEach(s -> held.put(s.getOperatorID(), new Held(s)));
          return new SavepointMetadata(dir, m.getCheckpointId(), held);
        }
      } finally {
        Files.deleteIfExists(local.resolve(METADATA));
        Files.deleteIfExists(local);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the savepoint metadata " + file + ": " + e.getMessage(), e);
    }
  }

  private static InputStream open(String file, Map<String, String> catalogProperties) throws IOException {
    URI uri = URI.create(file.replace(" ", "%20"));
    if (uri.getScheme() == null || "file".equals(uri.getScheme())) {
      return Files.newInputStream(uri.getScheme() == null ? Path.of(file) : Path.of(uri));
    }
    try {
      return FileSystem.get(uri).open(new org.apache.flink.core.fs.Path(uri));
    } catch (UnsupportedFileSystemSchemeException e) {
      if (!Set.of("s3", "s3a", "s3n").contains(uri.getScheme())) {
        throw e;
      }
      // No S3 file system plugin here (a local --validate): read it as the job reads its tables.
      FileIO s3 = new S3FileIO();
      s3.initialize(catalogProperties);
      InputStream in = s3.newInputFile(file).newStream();
      return new java.io.FilterInputStream(in) {
        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            s3.close();
          }
        }
      };
    }
  }

  /** The savepoint's directory. */
  public String path() {
    return path;
  }

  /** The id of the checkpoint the savepoint is. */
  public long checkpointId() {
    return checkpointId;
  }

  /** Every operator the savepoint has an entry for, with or without state. */
  public Map<OperatorID, Held> operators() {
    return operators;
  }
}
