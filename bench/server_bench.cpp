// Input and anchor for bench/run_server_bench.sh: crops a photo to 640x480 around its centre,
// checks that it holds exactly one face, writes the /represent request body (base64 JSON), and
// times facekit::represent on it in this process, one thread, no HTTP: the anchor the server's
// latency and throughput are compared with.
//   facekit_server_bench PHOTO OUT_DIR [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/facekit.hpp"
#include "facekit/runtime.hpp"
#include "server/base64.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: facekit_server_bench PHOTO OUT_DIR [RUNS]\n";
    return 2;
  }
  const int runs = argc > 3 ? std::atoi(argv[3]) : 30;
  try {
    const cv::Mat bgr = cv::imread(argv[1], cv::IMREAD_COLOR);
    if (bgr.empty() || bgr.cols < 640 || bgr.rows < 480) {
      std::cerr << argv[1] << ": not an image of at least 640x480\n";
      return 3;
    }
    const cv::Mat crop = bgr(cv::Rect((bgr.cols - 640) / 2, (bgr.rows - 480) / 2, 640, 480)).clone();
    std::vector<unsigned char> jpeg;
    cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
    const std::string dir = argv[2];
    std::ofstream(dir + "/face640x480.jpg", std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()),
                                                                    std::streamsize(jpeg.size()));
    std::ofstream(dir + "/represent.json") << nlohmann::json{{"img", "data:image/jpeg;base64," + facekit::server::base64_encode(jpeg.data(), jpeg.size())}}.dump();

    facekit::set_num_threads(1);  // as each server worker runs
    const cv::Mat rgb = facekit::decode_image(jpeg, "face640x480.jpg");
    std::vector<double> ms;
    std::size_t faces = 0;
    for (int i = 0; i < runs + 3; ++i) {
      const auto start = std::chrono::steady_clock::now();
      faces = facekit::represent(facekit::FaceInput::image(rgb)).size();
      if (i >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("faces %zu\nanchor_median_ms %.2f\nanchor_min_ms %.2f\nanchor_runs %d\n", faces, ms[ms.size() / 2],
                ms.front(), runs);
    return faces == 1 ? 0 : 4;
  } catch (const std::exception& e) {
    std::cerr << "facekit_server_bench: " << e.what() << "\n";
    return 1;
  }
}
