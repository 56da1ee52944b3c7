package io.github.streamingjob.config;

import java.util.Objects;
import java.util.Optional;

/** An entry of transformations.yaml: which {@code BaseTransformer} class implements a transformation. */
public final class TransformationDef {
  /** Where a simple class name is looked up when {@code module} is not given. */
  public static final String DEFAULT_PACKAGE = "io.github.streamingjob.transformations";

  private final String name;
  private final String className;
  private final String module;
  private final String description;

  public TransformationDef(String name, String className, String module, String description) {
    this.name = Objects.requireNonNull(name);
    this.className = Objects.requireNonNull(className);
    this.module = module;
    this.description = description;
  }

  public String name() {
    return name;
  }

  /** The class as written in YAML: a simple name (with {@code module}) or a fully qualified one. */
  public String className() {
    return className;
  }

  /** The Java package of the class (the seed's Python module). */
  public Optional<String> module() {
    return Optional.ofNullable(module);
  }

  public Optional<String> description() {
    return Optional.ofNullable(description);
  }

  /** The fully qualified class name to load. */
  public String qualifiedClassName() {
    if (className.contains(".")) {
      return className;
    }
    return module().orElse(DEFAULT_PACKAGE) + "." + className;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TransformationDef)) {
      return false;
    }
    TransformationDef t = (TransformationDef) o;
    return name.equals(t.name)
        && className.equals(t.className)
        && Objects.equals(module, t.module)
        && Objects.equals(description, t.description);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, className, module, description);
  }

  @Override
  public String toString() {
    return "TransformationDef{" + name + " -> " + qualifiedClassName() + "}";
  }
}
