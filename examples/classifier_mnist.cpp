// classifier_mnist: the MLP digit classifier whose features score the GAN.
//
//   classifier_mnist train --out out/classifier --epochs 8
//   classifier_mnist eval --checkpoint out/classifier/classifier.safetensors
#include "classifier_mnist.hpp"

#if defined(AIGC_EXAMPLES_CUDA)  // compiled by nvcc in classifier_mnist_cuda.cu
extern template void train<Cuda>(const ClassifierOptions&);
extern template void eval<Cuda>(const ClassifierOptions&);
#endif

int main(int argc, char** argv) {
    CLI::App app("Train and evaluate the MNIST MLP classifier used by the GAN metrics", "classifier_mnist");
    app.require_subcommand(1);
    ClassifierOptions opt;
    auto* train_cmd = app.add_subcommand("train", "train; writes classifier.safetensors, checkpoint, metrics.csv");
    examples::add_training_options(*train_cmd, opt.common);
    auto* eval_cmd = app.add_subcommand("eval", "test-set accuracy");
    eval_cmd->add_option("--checkpoint", opt.checkpoint, "classifier.safetensors or checkpoint.safetensors")
        ->required()->check(CLI::ExistingFile);
    eval_cmd->add_option("--data", opt.common.data, "MNIST folder")->capture_default_str();
    eval_cmd->add_option("--device", opt.common.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
    return examples::run(app, argc, argv, [&] {
        examples::apply_threads(opt.common);
        examples::on_device(opt.common, [&]<class D>() {
            if (train_cmd->parsed()) train<D>(opt);
            else eval<D>(opt);
        });
    });
}
