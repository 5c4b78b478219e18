package io.synalign;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The house rules, checked on the compiled main classes of kernels (and its nd4j and cuda
 * backend modules), engine, models and this module (docs/ARCHITECTURE.md draws them). The
 * layers, bottom up: {@code kernels} (the backend SPI; the backends plug in beside it),
 * {@code engine} (the algorithms, on the SPI only), {@code models} (encoders and LLM clients,
 * on {@code FloatMatrix} only), then this module: the library
 * packages ({@code pipeline}, {@code data}, {@code io}, {@code generation}, {@code evaluation},
 * {@code report}, {@code demo}) and, on top, the command line ({@code cli}), which nothing
 * imports. The Spark job's rules are in the spark module's own test.
 */
@AnalyzeClasses(packages = "io.synalign", importOptions = {ImportOption.DoNotIncludeTests.class,
    ArchitectureTest.DoNotIncludeTestJars.class})
class ArchitectureTest {

    /** Other modules' test-jars (the engine's test references) are test code too. */
    static final class DoNotIncludeTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar");
        }
    }

    /** This module's packages, the command line included. */
    static final String[] APPLICATION = {"io.synalign.cli..", "io.synalign.pipeline..",
        "io.synalign.data..", "io.synalign.io..", "io.synalign.generation..",
        "io.synalign.evaluation..", "io.synalign.report..", "io.synalign.demo.."};

    @ArchTest
    static final ArchRule kernelsDependOnNothingAbove = noClasses()
            .that().resideInAPackage("io.synalign.kernels..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(APPLICATION,
                    "io.synalign.engine..", "io.synalign.models..", "io.synalign.spark.."))
            .because("the kernels are the bottom layer: the SPI knows no algorithm and no app");

    @ArchTest
    static final ArchRule engineKnowsNoModelsNoApplication = noClasses()
            .that().resideInAPackage("io.synalign.engine..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(APPLICATION,
                    "io.synalign.models..", "io.synalign.spark.."))
            .because("the engine is a library of algorithms: no text, no LLM, no CLI");

    @ArchTest
    static final ArchRule modelsKnowNoEngineNoApplication = noClasses()
            .that().resideInAPackage("io.synalign.models..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(APPLICATION,
                    "io.synalign.engine..", "io.synalign.spark.."))
            .because("encoders and LLM clients stand on the kernels' FloatMatrix only");

    @ArchTest
    static final ArchRule backendsArePluggedInNotNamed = noClasses()
            .that().resideOutsideOfPackages("io.synalign.kernels.nd4j..",
                    "io.synalign.kernels.cuda..")
            .should().dependOnClassesThat().resideInAnyPackage("io.synalign.kernels.nd4j..",
                    "io.synalign.kernels.cuda..")
            .because("backends are found through ServiceLoader by name; code above the SPI"
                    + " works with any of them");

    @ArchTest
    static final ArchRule onlyTheCommandLineUsesPicocli = noClasses()
            .that().resideOutsideOfPackage("io.synalign.cli..")
            .should().dependOnClassesThat().resideInAPackage("picocli..")
            .because("the pipeline API and the libraries are called from plain Java");

    @ArchTest
    static final ArchRule nothingImportsTheCommandLine = noClasses()
            .that().resideOutsideOfPackage("io.synalign.cli..")
            .should().dependOnClassesThat().resideInAPackage("io.synalign.cli..")
            .because("the command line is the top layer: parse, call the API, print");

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
