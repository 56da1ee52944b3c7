package io.github.streamingjob.transform;

import io.github.streamingjob.config.ConfigLoader;
import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.Problems.At;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.TransformationDef;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;

/**
 * Instantiates the transformer registered for a topic. The class is checked to be a concrete
 * {@link BaseTransformer} before it is initialised, so configuration can never run other code.
 */
public final class TransformerRegistry {
  private final ClassLoader classLoader;

  public TransformerRegistry(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  /** The transformer, or null with a problem recorded naming the transformation. */
  public BaseTransformer create(TransformationDef def, TopicDef topic, Problems problems) {
    At at = At.file(ConfigLoader.TRANSFORMATIONS_FILE).entry("transformation", def.name()).key("class");
    String className = def.qualifiedClassName();
    Class<?> cls;
    try {
      // initialize=false: no static initializer runs before we know it is a BaseTransformer.
      cls = Class.forName(className, false, classLoader);
    } catch (ClassNotFoundException | LinkageError e) {
      problems.add(at, "class '" + className + "' not found (is it compiled into the JAR, and is 'module' its "
          + "package?)");
      return null;
    }
    if (!BaseTransformer.class.isAssignableFrom(cls)) {
      problems.add(at, "class '" + className + "' does not extend " + BaseTransformer.class.getName());
      return null;
    }
    if (Modifier.isAbstract(cls.getModifiers()) || !Modifier.isPublic(cls.getModifiers())) {
      problems.add(at, "class '" + className + "' must be public and not abstract");
      return null;
    }
    BaseTransformer transformer;
    try {
      transformer = construct(cls.asSubclass(BaseTransformer.class), topic);
    } catch (NoSuchMethodException e) {
      problems.add(at, "class '" + className + "' needs a public constructor taking no arguments or a TopicDef");
      return null;
    } catch (InvocationTargetException e) {
      problems.add(at, "constructor of '" + className + "' failed: " + e.getCause());
      return null;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      problems.add(at, "cannot instantiate '" + className + "': " + e);
      return null;
    }
    transformer.bind(topic);
    return transformer;
  }

  private static BaseTransformer construct(Class<? extends BaseTransformer> cls, TopicDef topic)
      throws ReflectiveOperationException {
    try {
      Constructor<? extends BaseTransformer> c = cls.getConstructor(TopicDef.class);
      return c.newInstance(topic);
    } catch (NoSuchMethodException e) {
      return cls.getConstructor().newInstance();
    }
  }
}
