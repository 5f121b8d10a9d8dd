#pragma once
// Learning-rate schedules, as torch.optim.lr_scheduler. A scheduler remembers the optimizer's lr
// when it is constructed (base_lr) and sets lr = base_lr * factor(epoch) in closed form:
// construction applies epoch 0 (PyTorch's constructor performs one initial step), each step()
// advances one epoch. Because the lr depends only on (base_lr, last_epoch), a checkpoint needs
// only last_epoch(): rebuild optimizer and scheduler as at the start, then set_last_epoch(saved).
// (PyTorch's chainable form gives the same values up to rounding; schedulers here do not compose.)
// A scheduler holds the optimizer's shared LearningRate, not the optimizer: it follows the
// optimizer through a move and stays valid after the optimizer is destroyed.
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>

#include "optimizer.hpp"

namespace aigc::optim {

class LrScheduler {
public:
    virtual ~LrScheduler() = default;
    LrScheduler(const LrScheduler&) = delete;
    LrScheduler& operator=(const LrScheduler&) = delete;

    // One epoch (or iteration) later: like PyTorch's scheduler.step().
    void step() { set_last_epoch(last_epoch_ + 1); }
    std::int64_t last_epoch() const { return last_epoch_; }
    // Resumes a schedule from a checkpoint: the optimizer's lr becomes the one for `epoch`.
    void set_last_epoch(std::int64_t epoch) {
        AIGC_CHECK(epoch >= 0, name_, ": epoch must be >= 0, given ", epoch);
        last_epoch_ = epoch;
        lr_->set(lr_at(epoch));
    }
    double base_lr() const { return base_lr_; }
    double lr() const { return lr_->get(); }  // PyTorch's get_last_lr()
    // The learning rate this schedule gives at `epoch` (>= 0).
    virtual double lr_at(std::int64_t epoch) const = 0;

protected:
    LrScheduler(OptimizerBase& optimizer, const char* name)
        : lr_(optimizer.shared_lr()), base_lr_(optimizer.lr()), name_(name) {}
    // Called at the end of each derived constructor, once lr_at() can run.
    void start() { set_last_epoch(0); }

private:
    std::shared_ptr<LearningRate> lr_;
    double base_lr_;
    const char* name_;
    std::int64_t last_epoch_ = 0;
};

// lr = base_lr * gamma^floor(epoch / step_size).
class StepLR : public LrScheduler {
public:
    StepLR(OptimizerBase& optimizer, std::int64_t step_size, double gamma = 0.1)
        : LrScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
        AIGC_CHECK(step_size > 0, "StepLR: step_size must be > 0, given ", step_size);
        AIGC_CHECK(gamma > 0.0, "StepLR: gamma must be > 0, given ", gamma);
        start();
    }
    double lr_at(std::int64_t epoch) const override {
        return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
    }

private:
    std::int64_t step_size_;
    double gamma_;
};

// lr = base_lr * gamma^epoch.
class ExponentialLR : public LrScheduler {
public:
    ExponentialLR(OptimizerBase& optimizer, double gamma) : LrScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
        AIGC_CHECK(gamma > 0.0, "ExponentialLR: gamma must be > 0, given ", gamma);
        start();
    }
    double lr_at(std::int64_t epoch) const override {
        return base_lr() * std::pow(gamma_, static_cast<double>(epoch));
    }

private:
    double gamma_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2  (SGDR without restarts; past
// T_max it rises again with period 2 T_max, as PyTorch's CosineAnnealingLR does).
class CosineAnnealingLR : public LrScheduler {
public:
    CosineAnnealingLR(OptimizerBase& optimizer, std::int64_t t_max, double eta_min = 0.0)
        : LrScheduler(optimizer, "CosineAnnealingLR"), t_max_(t_max), eta_min_(eta_min) {
        AIGC_CHECK(t_max > 0, "CosineAnnealingLR: T_max must be > 0, given ", t_max);
        AIGC_CHECK(eta_min >= 0.0, "CosineAnnealingLR: eta_min must be >= 0, given ", eta_min);
        start();
    }
    double lr_at(std::int64_t epoch) const override {
        double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_);
        return eta_min_ + (base_lr() - eta_min_) * (1.0 + std::cos(phase)) / 2.0;
    }

private:
    std::int64_t t_max_;
    double eta_min_;
};

// Linear warm-up, as torch.optim.lr_scheduler.LinearLR: the factor goes linearly from start_factor
// at epoch 0 to end_factor at epoch warmup_steps and stays there:
//   lr = base_lr (start + (end - start) min(epoch, warmup_steps) / warmup_steps).
class LinearWarmup : public LrScheduler {
public:
    LinearWarmup(OptimizerBase& optimizer, std::int64_t warmup_steps, double start_factor = 1.0 / 3.0,
                 double end_factor = 1.0)
        : LrScheduler(optimizer, "LinearWarmup"), warmup_steps_(warmup_steps), start_factor_(start_factor),
          end_factor_(end_factor) {
        AIGC_CHECK(warmup_steps > 0, "LinearWarmup: warmup_steps must be > 0, given ", warmup_steps);
        AIGC_CHECK(start_factor > 0.0 && start_factor <= 1.0, "LinearWarmup: start_factor must be in (0, 1], given ",
                   start_factor);
        AIGC_CHECK(end_factor >= 0.0 && end_factor <= 1.0, "LinearWarmup: end_factor must be in [0, 1], given ",
                   end_factor);
        start();
    }
    double lr_at(std::int64_t epoch) const override {
        double progress = static_cast<double>(std::min(epoch, warmup_steps_)) / static_cast<double>(warmup_steps_);
        return base_lr() * (start_factor_ + (end_factor_ - start_factor_) * progress);
    }

private:
    std::int64_t warmup_steps_;
    double start_factor_;
    double end_factor_;
};

}  // namespace aigc::optim
