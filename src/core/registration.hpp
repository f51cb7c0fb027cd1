// Each stage registers its components here; registries.cpp calls these once, on first use.
// (Explicit calls instead of static initialisers, which a static library would silently drop.)
#pragma once
#include "facekit/components.hpp"

namespace facekit {

void register_basic_detectors(Registry<Detector>& registry);    // detect/whole_image_detector.cpp
void register_ssd_detector(Registry<Detector>& registry);       // detect/ssd_detector.cpp
void register_haar_detector(Registry<Detector>& registry);      // detect/haar_detector.cpp
void register_dlib_hog_detector(Registry<Detector>& registry);  // detect/dlib_hog_detector.cpp
void register_hog_cascade_detector(Registry<Detector>& registry);  // detect/hog_cascade_detector.cpp
void register_tiny_detector(Registry<Detector>& registry);       // detect/tiny_detector.cpp
void register_blazeface_detector(Registry<Detector>& registry);  // detect/blazeface.cpp
void register_mtcnn_detector(Registry<Detector>& registry);      // detect/mtcnn_detector.cpp
void register_faceapi_landmarkers(Registry<Landmarker>& registry);  // align/faceapi_landmarker.cpp
void register_dlib_landmarkers(Registry<Landmarker>& registry);     // align/dlib_landmarker.cpp
void register_facemesh_landmarkers(Registry<Landmarker>& registry);  // align/facemesh_landmarker.cpp
void register_aligners(Registry<Aligner>& registry);            // align/*.cpp
void register_faceapi_embedders(Registry<Embedder>& registry);  // embed/faceapi_embedder.cpp
void register_human_embedders(Registry<Embedder>& registry);    // embed/human_embedders.cpp

}  // namespace facekit
