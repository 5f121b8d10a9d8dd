// libFuzzer target: the TensorBoard events reader (TFRecord framing and the Event fields a resumed
// run reads) on arbitrary bytes, as a resumed trainer meets whatever is in its --out folder.
// Contract under test: parsing never crashes; the intact records, framed again, are exactly the
// input's first intact_bytes; the scan is complete only when those are all of it; reading an
// event's key either works or throws aigc::Error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <aigc/io/events.hpp>
#include <aigc/io/tfrecord.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const aigc::io::TfRecordScan scan = aigc::io::parse_tfrecords(bytes);
    std::string reframed;
    for (const auto& record : scan.records) {
        reframed += aigc::io::frame_tfrecord(record.data);
        try {
            (void)aigc::io::events::read_key(record.data);
        } catch (const aigc::Error&) {
        }
    }
    if (scan.intact_bytes > size || bytes.substr(0, scan.intact_bytes) != reframed) __builtin_trap();
    if ((scan.end == aigc::io::TfRecordScan::End::complete) != (scan.intact_bytes == size)) __builtin_trap();
    return 0;
}
