// aigc::optim against torch.optim (reference numbers: tests/reference/optim_reference.py, PyTorch 1.13,
// float64). Inputs are formulas of the element index, so both sides build identical tensors.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <aigc/autograd/autograd.hpp>
#include <aigc/optim/optim.hpp>

namespace {

using namespace aigc;
using Catch::Contains;

template <class T>
Tensor<T> formula(const Shape& shape, const std::function<double(int)>& f) {
    std::vector<T> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<T>(f(static_cast<int>(k)));
    return Tensor<T>::from_vector(shape, values);
}

// loss_s = sum((x W^T + b - y)^2) + [s >= 3] 1.5 sum((L - c)^2); U never takes part. L first gets a
// gradient at step 3 (its own step count starts there), U never does (skipped, no state).
template <class T>
struct Problem {
    Var<T> W = parameter(formula<T>({2, 3}, [](int k) { return 0.5 * std::sin(0.37 * k + 0.1); }));
    Var<T> b = parameter(formula<T>({2}, [](int k) { return 0.2 * std::cos(0.23 * k + 0.3); }));
    Var<T> L = parameter(formula<T>({2}, [](int k) { return 0.3 * std::sin(0.71 * k + 0.5); }));
    Var<T> U = parameter(formula<T>({2}, [](int k) { return 0.1 * k + 0.05; }));
    Var<T> x{formula<T>({4, 3}, [](int k) { return std::sin(0.53 * k + 0.7); })};
    Var<T> y{formula<T>({4, 2}, [](int k) { return std::cos(0.41 * k + 0.2); })};
    Var<T> c{formula<T>({2}, [](int k) { return std::cos(0.29 * k + 0.4); })};

    std::vector<Var<T>> params() const { return {W, b, L, U}; }
    Var<T> loss(int step) const {
        Var<T> loss = sum(square(linear(x, W, b) - y));
        if (step >= 3) loss = loss + T(1.5) * sum(square(L - c));
        return loss;
    }
    // W (6), b (2), L (2), as the reference prints them.
    std::vector<double> values() const {
        std::vector<double> out;
        for (const auto& p : {W, b, L})
            for (T v : p.value().to_vector()) out.push_back(static_cast<double>(v));
        return out;
    }
    void run_step(optim::Optimizer<T>& opt, int step) const {
        opt.zero_grad();
        loss(step).backward();
        opt.step();
    }
};

template <class T>
using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer<T>>(std::vector<Var<T>>)>;

template <class T>
OptimizerFactory<T> optimizer_named(const std::string& name) {
    using P = std::vector<Var<T>>;
    if (name == "sgd_plain")
        return [](P p) { return std::make_unique<optim::SGD<T>>(p, optim::SgdOptions{.lr = 0.01}); };
    if (name == "sgd_momentum_dampening")
        return [](P p) {
            return std::make_unique<optim::SGD<T>>(p, optim::SgdOptions{.lr = 0.01, .momentum = 0.9, .dampening = 0.3});
        };
    if (name == "sgd_nesterov")
        return [](P p) {
            return std::make_unique<optim::SGD<T>>(p, optim::SgdOptions{.lr = 0.01, .momentum = 0.8, .nesterov = true});
        };
    if (name == "sgd_weight_decay")
        return [](P p) {
            return std::make_unique<optim::SGD<T>>(p,
                                                   optim::SgdOptions{.lr = 0.01, .momentum = 0.5, .weight_decay = 0.1});
        };
    if (name == "adam") return [](P p) { return std::make_unique<optim::Adam<T>>(p, optim::AdamOptions{.lr = 0.05}); };
    if (name == "adam_weight_decay")
        return [](P p) {
            return std::make_unique<optim::Adam<T>>(
                p, optim::AdamOptions{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6, .weight_decay = 0.1});
        };
    if (name == "adamw")
        return [](P p) {
            return std::make_unique<optim::AdamW<T>>(p, optim::AdamWOptions{.lr = 0.05, .weight_decay = 0.2});
        };
    if (name == "rmsprop_plain")
        return [](P p) { return std::make_unique<optim::RMSprop<T>>(p, optim::RmspropOptions{.lr = 0.01}); };
    if (name == "rmsprop_centered_momentum")
        return [](P p) {
            return std::make_unique<optim::RMSprop<T>>(p, optim::RmspropOptions{.lr = 0.01,
                                                                                .alpha = 0.9,
                                                                                .weight_decay = 0.05,
                                                                                .momentum = 0.7,
                                                                                .centered = true});
        };
    FAIL("unknown optimizer " << name);
    return {};
}

struct Trajectory {
    const char* name;
    std::vector<std::vector<double>> after_step;  // W, b, L after steps 1..5
};

// clang-format off
const std::vector<Trajectory> pytorch_trajectories = {
{"sgd_plain", {{0.07015969568180785, 0.23469583635954464, 0.3663195375255908, 0.45930500751424774, 0.4822103688960355, 0.44232135466802813, 0.18236032000000746, 0.14480571409574367, 0.1438276615812609, 0.28068480046601574},
  {0.08944352134809155, 0.2421486800951744, 0.35989644440039315, 0.45215809020196124, 0.4662089324622277, 0.42185596699335093, 0.17435252955736158, 0.11929877001127326, 0.1438276615812609, 0.28068480046601574},
  {0.10784095131310051, 0.24887989775498542, 0.3531144988155018, 0.4462220837183373, 0.4517993618249006, 0.4029266146190394, 0.1669887074449889, 0.09585836121015379, 0.1671446615539096, 0.2954016369019485},
  {0.1254180595079371, 0.2549600433430468, 0.34602937582694215, 0.44136643096340783, 0.43882383974354133, 0.38539152298313456, 0.16021796175112304, 0.07431706428239103, 0.18976215152737888, 0.30967696824480323},
  {0.14223487498375015, 0.26045275385063676, 0.33869085927560777, 0.43747373204857937, 0.4271401699587545, 0.36912271609821545, 0.15399339082383579, 0.05452104777054635, 0.21170111680164408, 0.3235240396473723}}},
{"sgd_momentum_dampening", {{0.07015969568180785, 0.23469583635954464, 0.3663195375255908, 0.45930500751424774, 0.4822103688960355, 0.44232135466802813, 0.18236032000000746, 0.14480571409574367, 0.1438276615812609, 0.28068480046601574},
  {0.10187706227076085, 0.2473402512774949, 0.3564215521240975, 0.4466494714594465, 0.455017754474369, 0.4080529307452383, 0.16891858664755297, 0.10197072323012667, 0.1438276615812609, 0.28068480046601574},
  {0.14288276440756317, 0.26307971308277994, 0.3425760878506891, 0.43170432104616946, 0.421236631520781, 0.364704897689947, 0.15197160585328043, 0.047993689112109085, 0.1671446615539096, 0.2954016369019485},
  {0.19093364262044318, 0.2805380650423067, 0.32465158865823895, 0.41648597185162023, 0.3838784037055997, 0.31545736068281705, 0.1328240685949616, -0.012949980507674552, 0.20396220451072195, 0.31863952163428627},
  {0.2438311292313525, 0.2983615299036598, 0.3025105250542233, 0.402979968327248, 0.3459034543934483, 0.2634332546692615, 0.11277572823223529, -0.07670732411449224, 0.25215706775118846, 0.3490583542540095}}},
{"sgd_nesterov", {{0.08635408556852288, 0.24129799129555304, 0.3615179195577198, 0.45250261290429156, 0.4679956054133679, 0.424594552400903, 0.17539473773991646, 0.1226011540899768, 0.1438276615812609, 0.28068480046601574},
  {0.13263929084056705, 0.258843050062985, 0.3455087157999503, 0.43614899542243935, 0.4303657148504983, 0.37601349860207406, 0.15641507896583481, 0.06216321526205955, 0.1438276615812609, 0.28068480046601574},
  {0.18439568447760224, 0.2766353214963893, 0.32445491734943316, 0.42211332746933006, 0.39241323582297305, 0.3245578320581594, 0.13653170488129754, -0.0010812499027944374, 0.1857982615320286, 0.30717510605069465},
  {0.23819636848223075, 0.29289012928973474, 0.29870375953271844, 0.41272498644597827, 0.3580092971799147, 0.2745782500519378, 0.11759121974788786, -0.06126499390823276, 0.24042532906795006, 0.34165371045279785},
  {0.29151202631599443, 0.3064716085834626, 0.2688244944243113, 0.4092730889812247, 0.3295933188694701, 0.228995133513, 0.10088271458540675, -0.11432194022275538, 0.30323500342387316, 0.3812968766051592}}},
{"sgd_weight_decay", {{0.07010977897348444, 0.23446939321685512, 0.3659472159656054, 0.458837199513471, 0.48171039007278615, 0.4418568748105262, 0.18216925270218234, 0.1446331526816407, 0.1438276615812609, 0.28068480046601574},
  {0.09943674704594446, 0.24572445327001402, 0.35599494299507517, 0.4467901684994811, 0.4561446998454293, 0.40968318276434335, 0.1695460016293821, 0.10503188778705136, 0.1438276615812609, 0.28068480046601574},
  {0.13195946909479492, 0.2574948996920582, 0.3437284657976841, 0.435166466280886, 0.42950191860780906, 0.3752102780767572, 0.15608792396042007, 0.06284281807853029, 0.16700083389232837, 0.2951209521014824},
  {0.1646070245810919, 0.26837518250534215, 0.32979722712732434, 0.42577902773053705, 0.4050019488600443, 0.34219027679246533, 0.14330987147223406, 0.022820794985064948, 0.20104222401728647, 0.316327658853983},
  {0.19590087614593632, 0.2777514048386134, 0.3146223986360007, 0.4193442615054421, 0.38404113717403515, 0.31232070495874914, 0.13191614249703218, -0.012834519554895642, 0.2394624399553162, 0.34026223525567306}}},
{"adam", {{0.09991670807641495, 0.2764431420836713, 0.3223215608184822, 0.4178080013647211, 0.4499788235307676, 0.4144798577275816, 0.1410672983993733, 0.1225614142830954, 0.1438276615812609, 0.28068480046601574},
  {0.1496037348404349, 0.3256741185551267, 0.272253943476561, 0.37184335823714737, 0.40122889062970024, 0.36514440945646526, 0.09393360196638666, 0.07292235608076225, 0.1438276615812609, 0.28068480046601574},
  {0.1986936679868599, 0.37323177225625326, 0.22207659376443814, 0.33804477043384823, 0.3554240555219986, 0.3171987336126306, 0.0547852534449932, 0.02399065354747775, 0.19382766136682505, 0.3306848001262688},
  {0.2468409308393736, 0.41780618567947825, 0.17175415214841383, 0.3249625254985342, 0.31493574633850374, 0.2715623327089918, 0.03000894630194722, -0.023782606368227807, 0.2437134887816197, 0.38047309146183483},
  {0.2936478029892624, 0.45771004136750815, 0.12126441705470647, 0.33123320560935776, 0.2820882170198551, 0.229187591957806, 0.021287561472907463, -0.06982356041240942, 0.29339699700259664, 0.429869212093132}}},
{"adam_weight_decay", {{0.09991668356245717, 0.27644308039402327, 0.3223216384247505, 0.4178080565130121, 0.449978850618971, 0.414479879603343, 0.1410673540171759, 0.12256143200595784, 0.1438276615812609, 0.28068480046601574},
  {0.14947127215645384, 0.3253621867539971, 0.2721854338326147, 0.37208941748336816, 0.4014843305268855, 0.3653322738740622, 0.09438859478826916, 0.0730591732703666, 0.1438276615812609, 0.28068480046601574},
  {0.19818717498425892, 0.37194357902048863, 0.22184603124971863, 0.3389710468124777, 0.35645035801150665, 0.31793254416167666, 0.056767614434026406, 0.024519969423471462, 0.19382764000459554, 0.3306847658307704},
  {0.2456015962542835, 0.4143972603429759, 0.1712681498302891, 0.32785539720118273, 0.31757093258389435, 0.27338800683683284, 0.035230224315798225, -0.022461322506308563, 0.2436497701207674, 0.38036188553960193},
  {0.2912094331971336, 0.45052145674167343, 0.12046652066559292, 0.33792454492917, 0.28741507399451854, 0.23279326145855336, 0.031209719703925477, -0.06714036092501097, 0.2931585382977692, 0.4294436625620166}}},
{"adamw", {{0.09941754099318081, 0.274178710656776, 0.3185983452186279, 0.4131299213569542, 0.44497903529827393, 0.40983505915256224, 0.1391566254211221, 0.12083580014206587, 0.1438276615812609, 0.28068480046601574},
  {0.14813879743651379, 0.3208217648352417, 0.26535624735795654, 0.3639456363107431, 0.3920157620139758, 0.3565135085192355, 0.09087456404076619, 0.07000834867224873, 0.1438276615812609, 0.28068480046601574},
  {0.19584121643459965, 0.3657281792670815, 0.21255960437978433, 0.330226763555182, 0.34315456586897003, 0.30536819178357966, 0.051731204927030025, 0.020431779416395138, 0.19238938475101247, 0.32787795212160864},
  {0.24224327513324168, 0.4080276568884433, 0.16018191540006677, 0.3197645987752426, 0.30120329229641346, 0.25746329620066877, 0.028118539319206038, -0.027440481325661688, 0.24035549949444018, 0.374403904368555},
  {0.28702862327397755, 0.446641718201135, 0.1082111744110868, 0.3280928287672366, 0.26864795121009644, 0.2138559054884345, 0.020913221398043073, -0.07304083292688299, 0.2876494489871735, 0.42010946829647233}}},
{"rmsprop_plain", {{0.14991670338343194, 0.3264431305722798, 0.27232157664647755, 0.36780801253725603, 0.3999788288773213, 0.3644798620148747, 0.09106730931016124, 0.07256141770581569, 0.1438276615812609, 0.28068480046601574},
  {0.20924086241539502, 0.37375394203759627, 0.19520652369131924, 0.37612797551940425, 0.3634423000226824, 0.31462263332284796, 0.0834799352407378, 0.014641264471359182, 0.1438276615812609, 0.28068480046601574},
  {0.25379296106208044, 0.4063013201714455, 0.13587067636909841, 0.4051754881193505, 0.3425859273884659, 0.27941824967709866, 0.08345836074475502, -0.02584447597665627, 0.24382765729254463, 0.38068479367107755},
  {0.28978580671478016, 0.4305777276705113, 0.08701713184056088, 0.43554579099050195, 0.3273949471456799, 0.25124622558101095, 0.08392848776579154, -0.056096940917062244, 0.3097091359428539, 0.4431620419984195},
  {0.32006410300084226, 0.4496747913228236, 0.045443440872584194, 0.46338007553594684, 0.3151099872156269, 0.22758932943468463, 0.08436585066923041, -0.07942788776290695, 0.3610148130858333, 0.4898168143842212}}},
{"rmsprop_centered_momentum", {{0.08325004110718291, 0.25977647465777765, 0.3389882284476331, 0.4344746687151052, 0.4666454905326888, 0.4311465246648381, 0.15773396575405385, 0.1392280811686965, 0.1438276615812609, 0.28068480046601574},
  {0.13090189544059855, 0.30639074936924554, 0.28943598798089043, 0.39145296742813773, 0.4207151108652184, 0.3842584108898089, 0.11374589349318727, 0.09169118518359078, 0.1438276615812609, 0.28068480046601574},
  {0.18395552066474904, 0.35600446699816607, 0.23092623410097646, 0.3558475958950064, 0.3736426286377207, 0.33376088247826485, 0.07396925287643645, 0.039083276158503356, 0.17716099443659597, 0.31401813303708687},
  {0.23751030490158562, 0.402340404957866, 0.16745368189619317, 0.33966764018541595, 0.33304211220305757, 0.28557704584076976, 0.048650153905950705, -0.013320861957906431, 0.22543672866308798, 0.361948012557581},
  {0.2887846702051851, 0.4416409042271929, 0.10164762591970555, 0.34473737208859456, 0.3033298445866237, 0.2431494605459229, 0.04052631945741078, -0.06214417225406497, 0.2804350074238755, 0.4158449366124625}}},
};
// clang-format on

template <class T>
double tolerance() {
    return std::is_same_v<T, float> ? 2e-7 : 1e-14;
}

template <class T>
void check_values(const std::vector<double>& given, const std::vector<double>& expected) {
    REQUIRE(given.size() == expected.size());
    for (std::size_t i = 0; i < given.size(); ++i) {
        INFO("element " << i);
        CHECK(given[i] == Approx(expected[i]).epsilon(0).margin(tolerance<T>()));
    }
}

template <class T>
const T* grad_data(const Var<T>& p) {
    return p.has_grad() ? p.grad().data() : nullptr;
}

}  // namespace

TEMPLATE_TEST_CASE("optimizer trajectories equal PyTorch's for 5 steps", "[optim][sgd][adam][adamw][rmsprop]",
                   float, double) {
    using T = TestType;
    for (const auto& reference : pytorch_trajectories) {
        INFO(reference.name);
        Problem<T> problem;
        auto opt = optimizer_named<T>(reference.name)(problem.params());
        const auto unused_before = problem.U.value().to_vector();
        for (int step = 1; step <= 5; ++step) {
            INFO("after step " << step);
            problem.run_step(*opt, step);
            check_values<T>(problem.values(), reference.after_step[static_cast<std::size_t>(step - 1)]);
        }
        // The never-reached parameter is skipped: unchanged, no gradient, no state.
        CHECK_FALSE(problem.U.has_grad());
        CHECK(problem.U.value().to_vector() == unused_before);
        CHECK(opt->step_count() == 5);
        for (const auto& [name, value] : opt->state()) CHECK(name.rfind("3.", 0) != 0);
    }
}

TEST_CASE("optimizer state names and per-parameter step counts follow PyTorch", "[optim][state][adam][sgd][rmsprop]") {
    Problem<double> problem;
    optim::Adam<double> opt(problem.params(), {.lr = 0.05});
    for (int step = 1; step <= 5; ++step) problem.run_step(opt, step);
    std::vector<std::string> names;
    std::map<std::string, double> counts;
    for (const auto& [name, value] : opt.state()) {
        names.push_back(name);
        if (name.ends_with("step")) counts[name] = value.item();
        if (name.ends_with("exp_avg")) CHECK(value.shape() == problem.params()[std::stoul(name)].shape());
    }
    CHECK(names == std::vector<std::string>{"step", "0.step", "0.exp_avg", "0.exp_avg_sq", "1.step", "1.exp_avg",
                                            "1.exp_avg_sq", "2.step", "2.exp_avg", "2.exp_avg_sq"});
    CHECK(counts == std::map<std::string, double>{{"step", 5}, {"0.step", 5}, {"1.step", 5}, {"2.step", 3}});

    // Step 1 reaches only W and b, so only they get state.
    Problem<double> fresh;
    optim::SGD<double> plain(fresh.params());
    optim::RMSprop<double> centered(fresh.params(), {.momentum = 0.5, .centered = true});
    fresh.run_step(plain, 1);
    fresh.run_step(centered, 1);
    names.clear();
    for (const auto& [name, value] : plain.state()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"step", "0.step", "1.step"});
    names.clear();
    for (const auto& [name, value] : centered.state()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"step", "0.step", "0.square_avg", "0.momentum_buffer", "0.grad_avg",
                                            "1.step", "1.square_avg", "1.momentum_buffer", "1.grad_avg"});
}

TEMPLATE_TEST_CASE("state()/load_state() resume a run identically", "[optim][state][sgd][adam][adamw][rmsprop]",
                   float, double) {
    using T = TestType;
    for (const char* name : {"sgd_momentum_dampening", "sgd_nesterov", "adam", "adamw", "rmsprop_centered_momentum"}) {
        INFO(name);
        auto make = optimizer_named<T>(name);
        // Run A: 5 steps straight, with a checkpoint after step 3 (L has taken only 1 step by then).
        Problem<T> a;
        auto opt_a = make(a.params());
        for (int step = 1; step <= 3; ++step) a.run_step(*opt_a, step);
        const auto saved_state = opt_a->state();
        std::vector<Tensor<T>> saved_params;
        for (const auto& p : a.params()) saved_params.push_back(p.value().clone());
        for (int step = 4; step <= 5; ++step) a.run_step(*opt_a, step);

        // Run B: fresh parameters and optimizer, restored from the checkpoint, then steps 4 and 5.
        Problem<T> b;
        for (std::size_t i = 0; i < saved_params.size(); ++i) b.params()[i].value().copy_from(saved_params[i]);
        auto opt_b = make(b.params());
        opt_b->load_state(saved_state);
        CHECK(opt_b->step_count() == 3);
        for (int step = 4; step <= 5; ++step) b.run_step(*opt_b, step);

        CHECK(b.values() == a.values());  // bit for bit
        CHECK(opt_b->step_count() == opt_a->step_count());
        auto state_a = opt_a->state(), state_b = opt_b->state();
        REQUIRE(state_a.size() == state_b.size());
        for (std::size_t i = 0; i < state_a.size(); ++i) {
            CHECK(state_a[i].first == state_b[i].first);
            CHECK(state_a[i].second.to_vector() == state_b[i].second.to_vector());
        }
    }
}

TEST_CASE("load_state names missing, unexpected and mismatched entries and changes nothing", "[optim][state][adam]") {
    Problem<double> problem;
    optim::Adam<double> opt(problem.params());
    for (int step = 1; step <= 3; ++step) problem.run_step(opt, step);
    const auto good = opt.state();
    auto without = [&](const std::string& dropped) {
        optim::Optimizer<double>::State s;
        for (const auto& entry : good)
            if (entry.first != dropped) s.push_back(entry);
        return s;
    };

    SECTION("a missing buffer") {
        REQUIRE_THROWS_WITH(opt.load_state(without("1.exp_avg_sq")),
                            Contains("Adam::load_state") && Contains("missing keys: \"1.exp_avg_sq\""));
    }
    SECTION("a missing global step") {
        REQUIRE_THROWS_WITH(opt.load_state(without("step")), Contains("missing keys: \"step\""));
    }
    SECTION("unexpected entries: an index out of range and a foreign buffer name") {
        auto s = good;
        s.emplace_back("4.step", Tensor<double>::scalar(1));
        s.emplace_back("0.momentum_buffer", Tensor<double>::zeros({2, 3}));
        REQUIRE_THROWS_WITH(opt.load_state(s), Contains("unexpected keys: \"4.step\" [], \"0.momentum_buffer\" [2, 3]"));
    }
    SECTION("a buffer of the wrong shape") {
        auto s = without("0.exp_avg");
        s.emplace_back("0.exp_avg", Tensor<double>::zeros({3, 2}));
        REQUIRE_THROWS_WITH(opt.load_state(s), Contains("shape mismatches: \"0.exp_avg: checkpoint has [3, 2], model has [2, 3]\""));
    }
    SECTION("a step count that is not a positive integer") {
        auto s = without("0.step");
        s.emplace_back("0.step", Tensor<double>::scalar(2.5));
        REQUIRE_THROWS_WITH(opt.load_state(s), Contains("'0.step' must be an integer >= 1, given 2.5"));
    }
    SECTION("a duplicated entry") {
        auto s = good;
        s.push_back(good[1]);
        REQUIRE_THROWS_WITH(opt.load_state(s), Contains("duplicated keys: \"0.step\""));
    }
    // A failed load leaves the optimizer as it was.
    auto after = opt.state();
    REQUIRE(after.size() == good.size());
    for (std::size_t i = 0; i < after.size(); ++i) CHECK(after[i].second.to_vector() == good[i].second.to_vector());
    CHECK(opt.step_count() == 3);
}

TEST_CASE("zero_grad zero-fills gradient buffers in place", "[optim][zero_grad]") {
    Problem<float> problem;
    optim::SGD<float> opt(problem.params(), {.lr = 0.1});
    problem.loss(1).backward();
    const float* before = grad_data(problem.W);
    REQUIRE(before != nullptr);
    opt.zero_grad();
    CHECK(grad_data(problem.W) == before);
    for (float v : problem.W.grad().to_vector()) CHECK(v == 0.0f);
    CHECK_FALSE(problem.L.has_grad());  // never reached: stays undefined (PyTorch's None)
}

TEST_CASE("step follows replaced or removed gradient buffers", "[optim][sgd]") {
    Problem<double> problem;
    optim::SGD<double> opt(problem.params(), {.lr = 0.5});
    problem.run_step(opt, 1);
    auto w_before = problem.W.value().to_vector();
    auto b_before = problem.b.value().to_vector();
    // A new gradient tensor (new storage) for W, and b's gradient removed (set to None).
    problem.W.grad() = formula<double>({2, 3}, [](int k) { return k + 1.0; });
    problem.b.grad() = Tensor<double>();
    opt.step();
    auto w_after = problem.W.value().to_vector();
    for (std::size_t i = 0; i < w_after.size(); ++i)
        CHECK(w_after[i] == Approx(w_before[i] - 0.5 * (i + 1.0)).epsilon(1e-15));
    CHECK(problem.b.value().to_vector() == b_before);
}

TEST_CASE("optimizer options default to PyTorch's and validate their values",
          "[optim][validation][sgd][adam][adamw][rmsprop]") {
    Problem<double> problem;
    auto params = problem.params();

    SECTION("defaults") {
        optim::SgdOptions sgd;
        CHECK((sgd.lr == 1e-3 && sgd.momentum == 0 && sgd.dampening == 0 && sgd.weight_decay == 0 && !sgd.nesterov));
        optim::AdamOptions adam;
        CHECK((adam.lr == 1e-3 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.eps == 1e-8 &&
               adam.weight_decay == 0));
        optim::AdamWOptions adamw;
        CHECK((adamw.lr == 1e-3 && adamw.beta1 == 0.9 && adamw.beta2 == 0.999 && adamw.eps == 1e-8 &&
               adamw.weight_decay == 1e-2));
        optim::RmspropOptions rms;
        CHECK((rms.lr == 1e-2 && rms.alpha == 0.99 && rms.eps == 1e-8 && rms.weight_decay == 0 && rms.momentum == 0 &&
               !rms.centered));
    }
    SECTION("hyper-parameters") {
        using optim::Adam, optim::AdamW, optim::SGD, optim::RMSprop;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        CHECK_THROWS_WITH(SGD<double>(params, {.lr = -0.1}), "SGD: learning rate must be >= 0, given -0.1");
        CHECK_THROWS_WITH(SGD<double>(params, {.lr = nan}), Contains("SGD: learning rate must be >= 0"));
        CHECK_THROWS_WITH(SGD<double>(params, {.momentum = -0.5}), "SGD: momentum must be >= 0, given -0.5");
        CHECK_THROWS_WITH(SGD<double>(params, {.weight_decay = -1}), "SGD: weight_decay must be >= 0, given -1");
        CHECK_THROWS_WITH(SGD<double>(params, {.nesterov = true}),
                          "SGD: nesterov momentum requires momentum > 0 and dampening = 0, given momentum 0, "
                          "dampening 0");
        CHECK_THROWS_WITH(SGD<double>(params, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                          Contains("nesterov momentum requires momentum > 0 and dampening = 0"));
        CHECK_THROWS_WITH(Adam<double>(params, {.beta1 = 1.0}), "Adam: beta1 must be in [0, 1), given 1");
        CHECK_THROWS_WITH(Adam<double>(params, {.beta2 = -0.1}), "Adam: beta2 must be in [0, 1), given -0.1");
        CHECK_THROWS_WITH(Adam<double>(params, {.eps = -1e-8}), "Adam: eps must be >= 0, given -1e-08");
        CHECK_THROWS_WITH(Adam<double>(params, {.weight_decay = -0.01}),
                          "Adam: weight_decay must be >= 0, given -0.01");
        CHECK_THROWS_WITH(AdamW<double>(params, {.lr = -1}), "AdamW: learning rate must be >= 0, given -1");
        CHECK_THROWS_WITH(AdamW<double>(params, {.beta1 = 1.5}), "AdamW: beta1 must be in [0, 1), given 1.5");
        CHECK_THROWS_WITH(RMSprop<double>(params, {.alpha = 1.5}), "RMSprop: alpha must be in [0, 1], given 1.5");
        CHECK_THROWS_WITH(RMSprop<double>(params, {.eps = -1}), "RMSprop: eps must be >= 0, given -1");
        CHECK_THROWS_WITH(RMSprop<double>(params, {.weight_decay = -1}),
                          "RMSprop: weight_decay must be >= 0, given -1");
        CHECK_THROWS_WITH(RMSprop<double>(params, {.momentum = -1}), "RMSprop: momentum must be >= 0, given -1");
    }
    SECTION("parameter lists") {
        CHECK_THROWS_WITH(optim::Adam<double>(std::vector<Var<double>>{}), "Adam: got an empty parameter list");
        CHECK_THROWS_WITH(optim::SGD<double>({problem.W, problem.b, problem.W}),
                          "SGD: parameter 2 is the same Var as parameter 0 (it would be updated twice)");
        Var<double> result = problem.W * 2.0;
        CHECK_THROWS_WITH(optim::SGD<double>({problem.W, result}),
                          "SGD: parameter 1 is the result of op 'mul', not a leaf; only leaves (parameters) can be "
                          "optimized");
        CHECK_THROWS_WITH(optim::SGD<double>({Var<double>()}), "SGD: parameter 0 is an undefined Var");
    }
    SECTION("set_lr and options() reflect the current learning rate") {
        optim::Adam opt(params, {.lr = 2e-4, .beta1 = 0.5});  // deduces Adam<double, Cpu>
        CHECK(opt.options().lr == 2e-4);
        CHECK(opt.options().beta1 == 0.5);
        opt.set_lr(1e-3);
        CHECK(opt.lr() == 1e-3);
        CHECK(opt.options().lr == 1e-3);
        CHECK_THROWS_WITH(opt.set_lr(-1e-3), "Adam: learning rate must be >= 0, given -0.001");
        CHECK(opt.lr() == 1e-3);
    }
}

namespace {
struct ClipCase {
    double max_norm, norm_type, total;
    std::vector<double> clipped;  // g1 [2, 3] then g2 [4]
};
constexpr double inf = std::numeric_limits<double>::infinity();
// clang-format off
const std::vector<ClipCase> pytorch_clip_grad_norm = {
{1.0, 2.0, 3.712880811273793, {0.10701624285040355, 0.3901482520509633, 0.5325522400684977, 0.4828625238916648, 0.25900238113083945, -0.0582809472693608, 0.3231990838912029, 0.29585940901043334, 0.217540681107024, 0.09884297259293987}},
{0.5, 1.0, 10.267249648990473, {0.019349808199588016, 0.07054343943978401, 0.09629177241805516, 0.08730728135478984, 0.04683070779380701, -0.0105378877198003, 0.05843823439325453, 0.053494896343894205, 0.039333939810547, 0.0178719838279513}},
{2.0, 3.0, 2.764379344445889, {0.28747032758241353, 1.0480282509971666, 1.4305582295693708, 1.29708018356098, 0.6957401733154452, -0.15655607557402992, 0.8681873334912139, 0.7947466567805022, 0.5843644777153725, 0.2655150372848732}},
{0.7, inf, 1.9773035257034395, {0.14066475825929572, 0.5128203728545362, 0.6999996459827048, 0.6346862717899866, 0.34043904327009483, -0.07660589776289725, 0.42482075425441324, 0.3888848191518599, 0.2859407740772379, 0.12992161259905088}},
{100.0, 2.0, 3.712880811273793, {0.39733866159012243, 1.4485743487402851, 1.9773035257034395, 1.7928114823031196, 0.9616452299772965, -0.21639026906021674, 1.2, 1.0984910184090517, 0.8077028380943818, 0.36699227511256044}},
};
const std::vector<double> pytorch_clip_grad_value_0_8 = {0.39733866159012243, 0.8, 0.8, 0.8, 0.8, -0.21639026906021674,
                                                         0.8, 0.8, 0.8, 0.36699227511256044};
// clang-format on

// Two parameters with formula gradients and one without a gradient (ignored).
template <class T>
std::vector<Var<T>> parameters_with_grads() {
    std::vector<Var<T>> params{parameter(Tensor<T>::zeros({2, 3})), parameter(Tensor<T>::zeros({4})),
                               parameter(Tensor<T>::zeros({3}))};
    params[0].grad() = formula<T>({2, 3}, [](int k) { return 2.0 * std::sin(0.61 * k + 0.2); });
    params[1].grad() = formula<T>({4}, [](int k) { return 1.5 * std::cos(0.37 * k) - 0.3; });
    return params;
}
template <class T>
std::vector<double> gradients(const std::vector<Var<T>>& params) {
    std::vector<double> out;
    for (std::size_t i = 0; i < 2; ++i)
        for (T v : params[i].grad().to_vector()) out.push_back(static_cast<double>(v));
    return out;
}
}  // namespace

TEMPLATE_TEST_CASE("clip_grad_norm and clip_grad_value equal PyTorch's", "[optim][clip][clip_grad]", float, double) {
    using T = TestType;
    for (const auto& reference : pytorch_clip_grad_norm) {
        INFO("max_norm " << reference.max_norm << ", norm_type " << reference.norm_type);
        auto params = parameters_with_grads<T>();
        const auto before = gradients(params);
        // grad_norm is the total clip_grad_norm returns, and it leaves the gradients alone.
        CHECK(static_cast<double>(optim::grad_norm(params, reference.norm_type)) ==
              Approx(reference.total).epsilon(tolerance<T>()));
        CHECK(gradients(params) == before);
        T total = optim::clip_grad_norm(params, reference.max_norm, reference.norm_type);
        CHECK(static_cast<double>(total) == Approx(reference.total).epsilon(tolerance<T>()));
        check_values<T>(gradients(params), reference.clipped);
        CHECK_FALSE(params[2].has_grad());
    }
    auto params = parameters_with_grads<T>();
    optim::clip_grad_value(params, 0.8);
    check_values<T>(gradients(params), pytorch_clip_grad_value_0_8);
}

TEST_CASE("gradient clipping validates its arguments", "[optim][clip][validation][clip_grad]") {
    auto params = parameters_with_grads<double>();
    CHECK_THROWS_WITH(optim::clip_grad_norm(params, -1.0), "clip_grad_norm: max_norm must be >= 0, given -1");
    CHECK_THROWS_WITH(optim::clip_grad_norm(params, 1.0, 0.0),
                      "clip_grad_norm: norm_type must be > 0 (or infinity), given 0");
    CHECK_THROWS_WITH(optim::clip_grad_value(params, -0.5), "clip_grad_value: clip_value must be >= 0, given -0.5");
    std::vector<Var<double>> none{parameter(Tensor<double>::zeros({3}))};
    CHECK(optim::clip_grad_norm(none, 1.0) == 0.0);
    CHECK(optim::grad_norm(none) == 0.0);
    CHECK_THROWS_WITH(optim::grad_norm(params, -1.0), "grad_norm: norm_type must be > 0 (or infinity), given -1");

    params[1].grad().data()[2] = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(optim::clip_grad_norm(params, 1.0, 2.0, true),
                      Contains("gradients is nan, which cannot be clipped"));
    // Without the check a NaN norm poisons every gradient, as in PyTorch.
    CHECK(std::isnan(optim::clip_grad_norm(params, 1.0)));
    CHECK(std::isnan(params[0].grad().to_vector()[0]));
}

namespace {
struct ScheduleCase {
    const char* name;
    std::function<std::unique_ptr<optim::LrScheduler>(optim::OptimizerBase&)> make;
    std::vector<double> lr;  // after construction, then after each of 10 steps (base lr 0.1)
};
// clang-format off
const std::vector<ScheduleCase> pytorch_schedules = {
{"StepLR(3, 0.5)",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::StepLR>(o, 3, 0.5); },
 {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125}},
{"ExponentialLR(0.9)",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::ExponentialLR>(o, 0.9); },
 {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002}},
{"CosineAnnealingLR(6, 0.001)",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::CosineAnnealingLR>(o, 6, 0.001); },
 {0.1, 0.09336825748732973, 0.07525000000000001, 0.0505, 0.025750000000000012, 0.007631742512670284, 0.001, 0.007631742512670284, 0.025750000000000002, 0.05050000000000004, 0.07525000000000008}},
{"LinearWarmup(4, 0.25)",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::LinearWarmup>(o, 4, 0.25); },
 {0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002}},
{"LinearWarmup(5) defaults",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::LinearWarmup>(o, 5); },
 {0.03333333333333333, 0.04666666666666667, 0.060000000000000005, 0.07333333333333335, 0.08666666666666668, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}},
{"LinearWarmup(3, 0.5, 0.8)",
 [](optim::OptimizerBase& o) { return std::make_unique<optim::LinearWarmup>(o, 3, 0.5, 0.8); },
 {0.05, 0.06, 0.07, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08}},
};
// clang-format on
}  // namespace

TEST_CASE("LR schedules give PyTorch's learning rates", "[optim][lr_scheduler]") {
    for (const auto& reference : pytorch_schedules) {
        INFO(reference.name);
        optim::SGD<float> opt({parameter(Tensor<float>::zeros({1}))}, {.lr = 0.1});
        auto schedule = reference.make(opt);
        CHECK(schedule->base_lr() == 0.1);
        for (std::size_t epoch = 0; epoch < reference.lr.size(); ++epoch) {
            INFO("epoch " << epoch);
            if (epoch > 0) schedule->step();
            CHECK(schedule->last_epoch() == static_cast<std::int64_t>(epoch));
            CHECK(opt.lr() == Approx(reference.lr[epoch]).epsilon(1e-12).margin(1e-15));
            CHECK(schedule->lr() == opt.lr());
        }
        // Resuming from last_epoch() in a fresh optimizer and scheduler continues the same schedule.
        optim::SGD<float> resumed_opt({parameter(Tensor<float>::zeros({1}))}, {.lr = 0.1});
        auto resumed = reference.make(resumed_opt);
        resumed->set_last_epoch(7);
        CHECK(resumed_opt.lr() == Approx(reference.lr[7]).epsilon(1e-12).margin(1e-15));
        resumed->step();
        resumed->step();
        CHECK(resumed_opt.lr() == Approx(reference.lr[9]).epsilon(1e-12).margin(1e-15));
    }
}

TEST_CASE("LR schedules validate their arguments", "[optim][lr_scheduler][validation]") {
    optim::SGD<float> opt({parameter(Tensor<float>::zeros({1}))}, {.lr = 0.1});
    CHECK_THROWS_WITH(optim::StepLR(opt, 0), "StepLR: step_size must be > 0, given 0");
    CHECK_THROWS_WITH(optim::StepLR(opt, 3, -0.5), "StepLR: gamma must be > 0, given -0.5");
    CHECK_THROWS_WITH(optim::ExponentialLR(opt, 0.0), "ExponentialLR: gamma must be > 0, given 0");
    CHECK_THROWS_WITH(optim::CosineAnnealingLR(opt, 0), "CosineAnnealingLR: T_max must be > 0, given 0");
    CHECK_THROWS_WITH(optim::CosineAnnealingLR(opt, 10, -1.0), "CosineAnnealingLR: eta_min must be >= 0, given -1");
    CHECK_THROWS_WITH(optim::LinearWarmup(opt, 0), "LinearWarmup: warmup_steps must be > 0, given 0");
    CHECK_THROWS_WITH(optim::LinearWarmup(opt, 5, 0.0), "LinearWarmup: start_factor must be in (0, 1], given 0");
    CHECK_THROWS_WITH(optim::LinearWarmup(opt, 5, 0.5, 1.5), "LinearWarmup: end_factor must be in [0, 1], given 1.5");
    CHECK(opt.lr() == 0.1);  // failed constructions leave the learning rate alone
    optim::StepLR schedule(opt, 2);
    CHECK_THROWS_WITH(schedule.set_last_epoch(-1), "StepLR: epoch must be >= 0, given -1");
}

TEST_CASE("apply_update refuses slots without the buffers the update needs", "[optim][validation]") {
    std::vector<float> p(4), g(4), m(4);
    AdamUpdate<float> adam{.beta1 = 0.9f, .one_minus_beta1 = 0.1f, .beta2 = 0.999f, .one_minus_beta2 = 0.001f,
                           .eps = 1e-8f, .weight_decay = 0.0f, .decay = 1.0f, .step_size = 1e-3f,
                           .bias_correction2_sqrt = 1.0f};
    std::vector<ParamSlot<float>> no_v = {{p.data(), g.data(), m.data(), nullptr, nullptr, 4}};
    CHECK_THROWS_WITH(Kernels<Cpu>::apply_update<float>(no_v, adam),
                      "apply_update (Adam): slot 0 needs its second state buffer");
    CHECK(m == std::vector<float>(4));  // refused before any memory is touched
    SgdUpdate<float> sgd{.lr = 0.1f, .momentum = 0.9f, .one_minus_dampening = 1.0f, .weight_decay = 0.0f,
                         .nesterov = false, .first_step = true};
    std::vector<ParamSlot<float>> no_grad = {{p.data(), nullptr, m.data(), nullptr, nullptr, 4}};
    CHECK_THROWS_WITH(Kernels<Cpu>::apply_update<float>(no_grad, sgd),
                      "apply_update (SGD): slot 0 (4 elements) has no gradient buffer");
    std::vector<ParamSlot<float>> empty = {{nullptr, nullptr, nullptr, nullptr, nullptr, 0}};
    CHECK_NOTHROW(Kernels<Cpu>::apply_update<float>(empty, adam));
}

TEST_CASE("an LR scheduler follows its optimizer when it moves and outlives it", "[lr_scheduler][lifetime]") {
    Problem<double> problem;
    auto opt = std::make_unique<optim::SGD<double>>(problem.params(), optim::SgdOptions{.lr = 0.1});
    optim::StepLR schedule(*opt, 2, 0.5);
    schedule.step();
    schedule.step();
    CHECK(opt->lr() == Approx(0.05));

    // Moving the optimizer (e.g. into a container) takes its schedule along.
    auto moved = std::make_unique<optim::SGD<double>>(std::move(*opt));
    opt.reset();
    schedule.step();
    schedule.step();
    CHECK(moved->lr() == Approx(0.025));
    problem.run_step(*moved, 1);  // the moved optimizer still trains

    // The caller's optimizer is gone; the schedule still runs (and, as in PyTorch, changes nothing else).
    moved.reset();
    schedule.step();
    schedule.step();
    CHECK(schedule.lr() == Approx(0.0125));
    schedule.set_last_epoch(0);
    CHECK(schedule.lr() == Approx(0.1));
}

TEST_CASE("Ema follows its closed form, with and without warm-up", "[optim][ema]") {
    // A parameter held at p after starting at v0: the shadow after t updates is p + d^t (v0 - p).
    auto w = parameter(Tensor<double, Cpu>::from_vector({3}, {1.0, -2.0, 0.5}));
    const std::vector<double> v0{1.0, -2.0, 0.5}, p{3.0, 4.0, -1.0};
    optim::Ema<double, Cpu> ema({{"w", w}}, {.decay = 0.9});
    w.value().copy_from(Tensor<double, Cpu>::from_vector({3}, p));
    for (int t = 1; t <= 25; ++t) {
        ema.update();
        const auto s = ema.shadow()[0].second.to_vector();
        for (std::size_t i = 0; i < 3; ++i) CHECK(s[i] == Approx(p[i] + std::pow(0.9, t) * (v0[i] - p[i])).epsilon(1e-12));
    }
    CHECK(ema.updates() == 25);

    // Warm-up: update t uses min(decay, (1 + t) / (10 + t)): 2/11 first, the full decay from t = 80 on.
    auto u = parameter(Tensor<double, Cpu>::from_vector({1}, {0.0}));
    optim::Ema<double, Cpu> warm({{"u", u}}, {.decay = 0.9, .warmup = true});
    CHECK(warm.decay_at(1) == Approx(2.0 / 11.0));
    CHECK(warm.decay_at(80) == Approx(0.9));
    CHECK(warm.decay_at(1000) == Approx(0.9));
    u.value().fill(1.0);
    warm.update();
    CHECK(warm.shadow()[0].second.item() == Approx(1.0 - 2.0 / 11.0));
    CHECK_THROWS_WITH((optim::Ema<double, Cpu>({{"u", u}}, {.decay = 1.5})), "Ema: decay must be in [0, 1], given 1.5");
}

TEST_CASE("Ema::apply swaps the averages in for a scope, and its state resumes the same average", "[optim][ema][state]") {
    auto w = parameter(Tensor<float, Cpu>::from_vector({2, 2}, {1, 2, 3, 4}));
    auto b = parameter(Tensor<float, Cpu>::from_vector({2}, {-1, 1}));
    optim::Ema<float, Cpu> ema({{"w", w}, {"b", b}}, {.decay = 0.5});
    w.value().fill(9.0f);
    ema.update();
    const auto trained = w.value().to_vector();
    {
        auto averaged = ema.apply();
        CHECK(w.value().to_vector() == std::vector<float>{5, 5.5f, 6, 6.5f});
    }
    CHECK(w.value().to_vector() == trained);  // bit for bit

    auto state = ema.state();
    REQUIRE(state.size() == 3);
    CHECK(state[0].first == "shadow.w");
    CHECK(state[2].first == "updates");
    optim::Ema<float, Cpu> resumed({{"w", w}, {"b", b}}, {.decay = 0.5});
    resumed.load_state(state);
    CHECK(resumed.updates() == 1);
    ema.update();
    resumed.update();
    CHECK(resumed.shadow()[0].second.to_vector() == ema.shadow()[0].second.to_vector());

    optim::Ema<float, Cpu> other({{"w", w}}, {});
    CHECK_THROWS_WITH(other.load_state(state), Contains("Ema::load_state: the state does not match these parameters") &&
                                                  Contains("\"shadow.b\" [2]"));
    CHECK(other.updates() == 0);
}
