package io.synalign.spark;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The Spark job stands on the engine, the models and the kernels only: never on the command-line
 * module's packages (which would drag picocli's CLI, DL4J and WordNet onto a cluster's class
 * path). See docs/ARCHITECTURE.md.
 */
@AnalyzeClasses(packages = "io.synalign.spark",
        importOptions = ImportOption.DoNotIncludeTests.class)
class SparkArchitectureTest {

    @ArchTest
    static final ArchRule sparkUsesNoApplicationPackage = noClasses()
            .that().resideInAPackage("io.synalign.spark..")
            .should().dependOnClassesThat().resideInAnyPackage("io.synalign.cli..",
                    "io.synalign.pipeline..", "io.synalign.data..", "io.synalign.io..",
                    "io.synalign.generation..", "io.synalign.evaluation..",
                    "io.synalign.report..", "io.synalign.demo..", "org.deeplearning4j..",
                    "net.sf.extjwnl..")
            .because("a Spark job's class path carries the engine, the models and the kernels");
}
