// gan_mnist: trains the seed article's MLP GAN on MNIST and samples from it.
//
//   gan_mnist train --data data/mnist --out out/gan --epochs 30
//   gan_mnist sample --checkpoint out/gan/generator.safetensors --n 100 --out digits.idx --grid digits.png
//
// After every epoch it prints the Frechet distance and an Inception-style score computed in the
// feature space of our MNIST classifier (classifier_mnist): classifier-based, not Inception FID.
#include "gan_mnist.hpp"

#if defined(AIGC_EXAMPLES_CUDA)  // compiled by nvcc in gan_mnist_cuda.cu
extern template void train<Cuda>(const GanOptions&);
extern template void sample<Cuda>(const GanOptions&);
#endif

int main(int argc, char** argv) {
    CLI::App app("Train and sample the MNIST MLP GAN (seed architecture)", "gan_mnist");
    app.require_subcommand(1);
    GanOptions opt;
    auto* train_cmd = app.add_subcommand("train", "train G and D; writes checkpoints, samples.png, metrics.csv, loss.svg");
    examples::add_training_options(*train_cmd, opt.common);
    // Not part of a checkpoint: a --resume may continue with another learning rate.
    train_cmd->add_option("--lr", opt.lr, "Adam learning rate of G and D")->capture_default_str()
        ->check(examples::positive_finite());
    train_cmd->add_option("--lr-g", opt.lr_g, "G's learning rate (default --lr; TTUR sets G and D apart)")
        ->check(examples::positive_finite());
    train_cmd->add_option("--lr-d", opt.lr_d, "D's learning rate (default --lr)")->check(examples::positive_finite());
    train_cmd->add_option("--loss", opt.loss, "ns (non-saturating), hinge, wgan-gp or lsgan (least squares)")
        ->capture_default_str()->check(CLI::IsMember({"ns", "hinge", "wgan-gp", "lsgan"}));
    train_cmd->add_option("--gp-weight", opt.gp_weight, "wgan-gp: weight of the gradient penalty")
        ->capture_default_str()->check(examples::positive_finite());
    train_cmd->add_option("--n-critic", opt.n_critic, "D steps per G step (default 5 for wgan-gp, else 1)")
        ->check(CLI::Range(1, 100));
    train_cmd->add_option("--r1", opt.r1, "gamma of the R1 penalty gamma/2 E|grad D(x)|^2 on real images (e.g. 10)")
        ->check(examples::positive_finite());
    train_cmd->add_flag("--spectral-norm", opt.spectral_norm, "spectrally normalise every D layer");
    train_cmd->add_flag("--conditional", opt.conditional,
                        "condition G and D on the digit (one-hot labels concatenated to their inputs)");
    train_cmd->add_option("--ema", opt.ema,
                          "keep an average of G's weights with this decay (e.g. 0.999); samples, metrics and "
                          "generator.safetensors use it")
        ->check(CLI::Range(0.0, 1.0));
    train_cmd->add_option("--classifier", opt.classifier, "classifier for the per-epoch metrics")->capture_default_str();
    train_cmd->add_option("--metric-samples", opt.metric_samples, "images per metric evaluation")
        ->capture_default_str()->check(CLI::Range(2, 10000));
    auto* sample_cmd = app.add_subcommand("sample", "write generated digits as an IDX file (and a PNG grid)");
    sample_cmd->add_option("--checkpoint", opt.checkpoint, "checkpoint.safetensors or generator.safetensors")
        ->required()->check(CLI::ExistingFile);
    sample_cmd->add_option("--n", opt.n, "number of images")->capture_default_str()->check(CLI::Range(1, 1000000));
    // The name says what the file is: an IDX file named .png is a broken image to every viewer.
    sample_cmd->add_option("--out", opt.sample_out, "IDX file to write (.idx, .ubyte or no extension)")
        ->capture_default_str()
        ->check(examples::extension_check({"", ".idx", ".ubyte", ".idx3-ubyte"}, "an IDX images file; use --grid for a PNG"));
    sample_cmd->add_option("--grid", opt.grid, "also write a PNG grid of the first (up to 10000) images here")
        ->check(examples::extension_check({".png"}, "a PNG image"));
    sample_cmd->add_option("--seed", opt.common.seed, "noise seed")->capture_default_str();
    sample_cmd->add_option("--label", opt.label, "conditional generator: draw this digit (default: 0-9 in turn)")
        ->check(CLI::Range(0, 9));
    sample_cmd->add_option("--device", opt.common.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
    return examples::run(app, argc, argv, [&] {
        examples::apply_threads(opt.common);
        examples::on_device(opt.common, [&]<class D>() {
            if (train_cmd->parsed()) train<D>(opt);
            else sample<D>(opt);
        });
    });
}
