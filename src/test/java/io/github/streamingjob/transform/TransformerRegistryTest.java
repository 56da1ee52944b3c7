package io.github.streamingjob.transform;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.streamingjob.config.Problems;
import io.github.streamingjob.config.TopicDef;
import io.github.streamingjob.config.TransformationDef;
import io.github.streamingjob.source.KafkaSourceTableTest;
import org.junit.jupiter.api.Test;

class TransformerRegistryTest {
  static final TopicDef TOPIC = KafkaSourceTableTest.topic("a");
  static boolean hostileInitialized;

  /** Not a transformer; its static initializer must never run. */
  public static class Hostile {
    static {
      hostileInitialized = true;
    }
  }

  public abstract static class Abstract extends BaseTransformer {}

  public static class NoUsableConstructor extends BaseTransformer {
    public NoUsableConstructor(String s) {}

    @Override
    public String getTransformationSql(String sourceTable) {
      return "";
    }
  }

  public static class WithTopic extends BaseTransformer {
    public WithTopic(TopicDef topic) {
      super(topic);
    }

    @Override
    public String getTransformationSql(String sourceTable) {
      return "SELECT id FROM " + sourceTable + " -- " + getTopicConfig().name();
    }
  }

  public static class Failing extends BaseTransformer {
    public Failing() {
      throw new IllegalStateException("boom");
    }

    @Override
    public String getTransformationSql(String sourceTable) {
      return "";
    }
  }

  private static String problem(String className) {
    Problems problems = new Problems();
    BaseTransformer t = new TransformerRegistry(TransformerRegistryTest.class.getClassLoader())
        .create(new TransformationDef("tr", className, null, null), TOPIC, problems);
    assertThat(t).isNull();
    assertThat(problems.messages()).hasSize(1);
    return problems.messages().get(0);
  }

  @Test
  void missingClass() {
    assertThat(problem("NoSuchTransformer")).isEqualTo("transformations.yaml: transformation 'tr': key 'class': "
        + "class 'io.github.streamingjob.transformations.NoSuchTransformer' not found (is it compiled into the JAR, "
        + "and is 'module' its package?)");
  }

  @Test
  void notATransformerIsNeverInitialized() {
    assertThat(problem(Hostile.class.getName())).endsWith("class '" + Hostile.class.getName()
        + "' does not extend io.github.streamingjob.transform.BaseTransformer");
    assertThat(problem("java.lang.Runtime")).endsWith("class 'java.lang.Runtime' does not extend "
        + "io.github.streamingjob.transform.BaseTransformer");
    assertThat(hostileInitialized).isFalse();
  }

  @Test
  void abstractOrUnconstructibleOrFailing() {
    assertThat(problem(Abstract.class.getName())).endsWith("must be public and not abstract");
    assertThat(problem(NoUsableConstructor.class.getName()))
        .endsWith("needs a public constructor taking no arguments or a TopicDef");
    assertThat(problem(Failing.class.getName())).endsWith("failed: java.lang.IllegalStateException: boom");
  }

  @Test
  void constructorWithTopicAndNoArgConstructorBothGetTheTopic() {
    Problems problems = new Problems();
    TransformerRegistry registry = new TransformerRegistry(getClass().getClassLoader());
    BaseTransformer withTopic = registry.create(
        new TransformationDef("tr", WithTopic.class.getName(), null, null), TOPIC, problems);
    BaseTransformer shipped = registry.create(new TransformationDef("raw", "BidEventsRawTransformer",
        "io.github.streamingjob.transformations", null), TOPIC, problems);
    assertThat(problems.messages()).isEmpty();
    assertThat(withTopic.getTransformationSql("`s`")).isEqualTo("SELECT id FROM `s` -- a");
    assertThat(shipped.getTopicConfig()).isSameAs(TOPIC);
    assertThat(shipped.getDescription()).isEqualTo("Raw bid events with event and ingestion time");
  }
}
